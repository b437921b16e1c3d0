import os
from pathlib import Path

from tadamon.action_plan import services
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tests.action_plan.test_exports import published_plan  # noqa: F401


def test_dump(published_plan, members, steering, app):  # noqa: F811
    person, organisation = members[0]
    action = services.working_actions()[0]
    services.post_update(person, organisation, action, services.UpdateData(happened_on=utcnow().date(), text="Fait", progress=20))
    db.session.commit()
    snap = services.build_snapshot()
    snap["generated_at"] = "X"
    text = services.canonical(snap)
    import re
    text = re.sub(r"\d{4}-\d\d-\d\dT[0-9:.+]+", "T", text)
    text = re.sub(r"organisation-\d+|proposal-\d+|consultation-\d+|workshop-\d+|theme-\d+|action-\d+|indicator-\d+", "ID", text)
    Path(os.environ.get("GOLDEN", "/tmp/plan-golden/out.json")).write_text(text + "\n" + services.snapshot_of(published_plan)["actions"][0]["title"]["fr"])
