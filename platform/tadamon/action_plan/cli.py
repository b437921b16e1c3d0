"""`flask export-plan`: the steering group's scripts export the plan like the pages do."""

from __future__ import annotations

from pathlib import Path

import click

from tadamon.action_plan.exports import FORMATS


@click.command("export-plan")
@click.option("--version", "version_number", type=int, default=None,
              help="The version number; the working draft when left out.")
@click.option("--format", "file_format", type=click.Choice(sorted(FORMATS)), required=True)
@click.option("--lang", "language", type=click.Choice(["ar", "fr", "en"]), required=True)
@click.option("--csv-separator", type=click.Choice(["comma", "semicolon"]), default="comma", show_default=True,
              help="CSV only: semicolons (and a decimal comma) for spreadsheets set to French and other "
                   "decimal-comma locales; the same as --format scsv.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
def export_plan_command(version_number: int | None, file_format: str, language: str, csv_separator: str,
                        output: Path) -> None:
    """Export the action plan (a version, or the working draft) to a file."""
    from tadamon.action_plan import jobs
    from tadamon.action_plan.services import PlanError

    if file_format == "csv" and csv_separator == "semicolon":
        file_format = "scsv"
    try:
        size = jobs.export_to_file(version_number, file_format, language, output)
    except PlanError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo(f"{output}: {size} bytes ({file_format}, {language})")
