"""The platform's selects (core.forms.OptionsWrittenDirectly) write the HTML WTForms' own widget
writes: escaping, selected options, multiple selects, options with attributes of their own."""

from __future__ import annotations

from flask import request
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

from tadamon.core.forms import OptionsWrittenDirectly, TadamonForm


class Filters(TadamonForm):
    class Meta:
        csrf = False

    single = SelectField("Single", choices=[
        SelectChoice("", "All"), SelectChoice('x"<', "Lé <b>"), SelectChoice(3, "three"),
        SelectChoice(True, "yes"), SelectChoice("r", "R", render_kw={"disabled": True})])
    several = SelectMultipleField("Several", choices=[SelectChoice("1", "one"), SelectChoice("2", "two"),
                                                            SelectChoice("3", "three")])
    unlabelled = SelectField("Unlabelled", choices=[SelectChoice(None, "none"), SelectChoice("q", "")])


def test_selects_write_what_wtforms_writes(app):
    with app.test_request_context("/?single=x%22%3C&several=1&several=3&unlabelled=q"):
        form = Filters(request.args)
        for field in form:
            assert isinstance(field.widget, OptionsWrittenDirectly), field.name
            written = str(field(class_="filter", required=True))
            stock = str(widgets.Select(multiple=field.widget.multiple)(field, class_="filter", required=True))
            assert written == stock, field.name
            assert "<option selected " in written, field.name
        assert 'value="x&#34;&lt;">Lé &lt;b&gt;</option>' in str(form.single())
        assert '<option disabled value="r">R</option>' in str(form.single())
