"""Contract tests: Schemathesis drives every operation of the served OpenAPI document, with
data that fits the schema and data that does not, and checks every answer against it (no
server error, documented status codes, content types and bodies). SQLite, and PostgreSQL with
TEST_DATABASE_URL. Bounded examples keep it to well under a minute."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tests.api.conftest import bearer

MAX_EXAMPLES = 30


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def test_every_operation_keeps_its_contract(app, members, consultation, make_token):
    (author, own), (person, other) = members[0], members[1]
    data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
    proposal = proposals.save_draft(consultation, own, author, data)
    proposals.publish(proposal, author, data)
    db.session.commit()
    # Writes go through with a token that holds every scope, so the services run (not only the
    # refusals). Schemathesis' pytest plugin does not run on this pytest yet: its strategies do.
    headers = bearer(make_token(person, other, "proposals", "comments", "cosign"))
    # WSGI calls are not decompressed by Schemathesis (compression: tests/core/test_delivery.py).
    headers["Accept-Encoding"] = "identity"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        for mode in MODES:
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def check(case):
                case.call_and_validate(headers=headers)

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as error:  # every operation is tried; the failures are listed together
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
