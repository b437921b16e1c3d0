"""Member text is rendered as the safe Markdown subset wherever it appears: no literal asterisks,
no raw HTML."""

from __future__ import annotations

from tadamon.core.markup import render_inline_markdown
from tadamon.extensions import db


def test_inline_markdown_keeps_emphasis_and_drops_blocks_and_html():
    html = str(render_inline_markdown("Lancer le *guichet unique* <script>x</script>"))
    assert "<em>guichet unique</em>" in html and "<script>" not in html and "<p" not in html
    assert "<h" not in str(render_inline_markdown("# Pas un titre"))


def test_descriptions_and_room_records_are_rendered_as_markdown(client, open_workshop, facilitator):
    from tadamon.workshops import services

    workshop = open_workshop()
    workshop.description_fr = "Créer dans chaque province un *guichet unique* pour **tous**."
    workshop.description_ar = workshop.description_en = ""
    services.record_in_room(facilitator, workshop, organisation_id=None, kind="discussion_notes", title="Notes",
                            body="Une piste *importante*.", language="fr")
    db.session.commit()
    page = client.get(f"/workshops/{workshop.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<em>guichet unique</em>" in page and "<strong>tous</strong>" in page
    assert "*guichet unique*" not in page
    assert "<em>importante</em>" in page
