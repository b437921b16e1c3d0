"""`flask export-ballots CONSULTATION` and `flask verify-ledger CONSULTATION`."""

from __future__ import annotations

import json
import sys

import click

from tadamon.extensions import db
from tadamon.voting import ledger, services
from tadamon.voting.methods import VoteError
from tadamon.voting.models import VotingRound
from tadamon.workshops.models import Consultation


def _vote_of(consultation_id: int) -> VotingRound:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"no consultation {consultation_id}")
    vote = services.round_of(consultation)
    if vote is None:
        raise click.ClickException(f"consultation {consultation_id} has not opened voting")
    return vote


@click.command("export-ballots")
@click.argument("consultation_id", type=int)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of the standard output.")
def export_ballots_command(consultation_id: int, output: str | None) -> None:
    """Write the anonymised ballots of a closed consultation (tadamon-ballots/1 JSON)."""
    try:
        document = ledger.export_document(_vote_of(consultation_id))
    except VoteError as error:
        raise click.ClickException(str(error)) from None
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"{len(document['ballots'])} ballots written to {output}", err=True)
    else:
        sys.stdout.write(text)


@click.command("verify-ledger")
@click.argument("consultation_id", type=int)
def verify_ledger_command(consultation_id: int) -> None:
    """Recompute a consultation's ledger chain and tally; name every entry that does not hold."""
    vote = _vote_of(consultation_id)
    problems = ledger.verify(vote)
    if problems:
        for problem in problems:
            click.echo(problem.message, err=True)
        click.echo(f"ledger of consultation {consultation_id}: {len(problems)} problem(s) found", err=True)
        raise SystemExit(1)
    head = vote.published_head or vote.ledger_head
    click.echo(f"ledger of consultation {consultation_id}: {vote.ledger_length} entries, "
               f"chain intact, head {head}; tally reproduced")


@click.command("export-pack")
@click.argument("consultation_id", type=int)
@click.option("--lang", "language", type=click.Choice(["ar", "fr", "en"]), default="ar", show_default=True,
              help="The language of the pack's README.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True)
def export_pack_command(consultation_id: int, language: str, output: str) -> None:
    """Write a closed consultation's export pack (ZIP): proposals, comments, results, ballots, ledger."""
    from tadamon.voting import pack

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"no consultation {consultation_id}")
    try:
        data = pack.build(consultation, language)
    except VoteError as error:
        raise click.ClickException(str(error)) from None
    with open(output, "wb") as handle:
        handle.write(data)
    click.echo(f"{output}: {len(data)} bytes ({', '.join(pack.PARTS)})", err=True)
