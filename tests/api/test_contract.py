"""Contract tests: Schemathesis drives every operation of the served OpenAPI document, with
data that fits the schema and data that does not, and checks every answer against it (no
server error, documented status codes, content types and bodies). SQLite, and PostgreSQL with
TEST_DATABASE_URL. Bounded examples keep it to well under a minute."""

from __future__ import annotations

import traceback

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import Phase as HypothesisPhase
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tadamon.extensions import db
from tadamon.proposals import services as proposals
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase
from tests.api.conftest import bearer

MAX_EXAMPLES = 30


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


# Operations this test's data cannot answer with a 2xx (no vote, no published plan): their
# answers are still checked against the contract, and their successes in tests/action_plan.
WITHOUT_DATA = {"GET /api/v1/plan/versions/{number}", "GET /api/v1/consultations/{consultation_id}/results",
                "GET /api/v1/consultations/{consultation_id}/ballots",
                "GET /api/v1/consultations/{consultation_id}/receipts",
                # No open vote and no action carried by the token's organisation here: their
                # successes are in tests/api/test_writes.py.
                "POST /api/v1/consultations/{consultation_id}/ballot",
                "POST /api/v1/plan/actions/{action_id}/updates"}


def test_every_operation_keeps_its_contract(app, monkeypatch, members, consultation, facilitator, make_token):
    monkeypatch.setitem(app.config, "RATELIMIT_API_WRITES", "100000 per minute")
    (author, own), (person, other) = members[0], members[1]
    # A second consultation of the workshop in deliberation, with a published proposal: the
    # first takes drafts, this one comments and co-signatures.
    deliberating = workshops.save_consultation(facilitator, None, consultation.workshop, workshops.ConsultationData(
        question_fr="Quels moyens ?", max_approvals=3))
    workshops.move_phase(facilitator, deliberating, Phase.PROPOSALS_OPEN)
    data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
    proposal = proposals.save_draft(deliberating, own, author, data)
    proposals.publish(proposal, author, data)
    workshops.move_phase(facilitator, deliberating, Phase.DELIBERATION)
    # The token's organisation is registered for the workshop, so withdrawing can succeed too.
    workshops.register(person, consultation.workshop, other, "Salma")
    db.session.commit()
    real = {"consultation_id": consultation.id, "proposal_id": proposal.id, "organisation_id": own.id,
            "workshop_id": consultation.workshop_id}
    # Writes go through with a token that holds every scope, so the services run (not only the
    # refusals). Schemathesis' pytest plugin does not run on this pytest yet: its strategies do.
    headers = bearer(make_token(person, other, "proposals", "comments", "cosign", "registrations", "progress",
                                    "votes"))
    # WSGI calls are not decompressed by Schemathesis (compression: tests/core/test_delivery.py).
    headers["Accept-Encoding"] = "identity"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    succeeded: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in MODES:
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[HypothesisPhase.explicit,
                                                                       HypothesisPhase.generate])
            def check(case):
                responses = [case.call_and_validate(headers=headers)]
                if mode is GenerationMode.POSITIVE and case.path_parameters:
                    # The same request about objects that exist, so the operation's success is
                    # checked too (random ids mostly find nothing).
                    case.path_parameters = {name: real.get(name, value) for name, value in case.path_parameters.items()}
                    responses.append(case.call_and_validate(headers=headers))
                for response in responses:
                    if 200 <= response.status_code < 300:
                        succeeded[operation.label] = succeeded.get(operation.label, 0) + 1

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to make.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as error:  # every operation is tried; the failures are listed together
                failures.append(f"{operation.label} ({mode.value}): {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
    never = {operation.label for operation in operations} - set(succeeded) - WITHOUT_DATA
    assert never == set(), "operations that never succeeded"


def test_a_response_that_breaks_its_contract_is_caught(app, monkeypatch, consultation):
    """The check above can fail: the themes answer with an English name missing from every
    `name_i18n` (a required field of the document), and Schemathesis reports it."""
    from tadamon.api import v1

    real_texts_of = v1.texts_of

    def without_english(item, field):
        texts = dict(real_texts_of(item, field))
        texts.pop("en", None)
        return texts

    monkeypatch.setattr(v1, "texts_of", without_english)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = next(result.ok() for result in schema.get_all_operations()
                     if result.ok().label == "GET /api/v1/themes")

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=3, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    with pytest.raises(BaseException) as caught:  # noqa: PT011 - a group of failures (not an Exception)
        check()
    report = "".join(traceback.format_exception(caught.value))
    assert '"en" is a required property' in report
