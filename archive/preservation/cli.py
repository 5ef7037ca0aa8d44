"""The preservation commands, added to the `archive` group: backup, restore, fixity, export-bag, import-bag."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.preservation import backups, bags, fixity


def _fail(header: str, problems: list[str]) -> None:
    click.echo(header, err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--include-secrets", is_flag=True, help="Also keep the session secret key (guard the backup like it).")
@click.option("--link-dest", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An earlier backup: unchanged media files are hard-linked from it instead of copied.")
def backup_command(dest: Path, include_secrets: bool, link_dest: Path | None) -> None:
    """Write a consistent backup (database, media, settings, SHA-256 manifest) into a new folder DEST."""
    try:
        report = backups.backup(dest, include_secrets=include_secrets, link_dest=link_dest,
                                progress=lambda step: click.echo(f"… {step}", err=True))
    except backups.BackupError as error:
        _fail(f"{dest}: backup failed.", error.problems)
        return
    rows = sum(report.rows.values())
    click.echo(f"Backed up {rows} database rows and {report.files} media files ({report.bytes} bytes; "
               f"{report.copied} copied, {report.linked} linked from the earlier backup) to {dest}.")
    if include_secrets:
        click.echo("The backup holds the secret key: keep it as safe as the server.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a data directory and database that are not empty.")
def restore_command(src: Path, force: bool) -> None:
    """Rebuild the data directory and database from the backup SRC (checksums verified first), then the index."""
    try:
        report = backups.restore(src, force=force, progress=lambda step: click.echo(f"… {step}", err=True))
    except backups.BackupError as error:
        _fail(f"{src}: nothing was restored.", error.problems)
        return
    click.echo(f"Restored {sum(report.rows.values())} database rows and {report.files} media files; "
               f"indexed {report.indexed} testimonies.")
    if report.secret_restored:
        click.echo("The secret key was restored into the data directory (SECRET_KEY in the environment still wins).")
    if report.settings:
        click.echo("Settings of the backed-up server (set them in this server's environment where they differ):")
        for key, value in sorted(report.settings.items()):
            click.echo(f"  {key} = {value}")


@click.command("fixity")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="Check only the N files checked longest ago (never-checked first).")
def fixity_command(sample: int | None) -> None:
    """Recompute the SHA-256 of recordings and public copies; exit 1 if any is missing or changed."""
    report = fixity.run_fixity(sample)
    failures = report.failures or []
    for check in failures:
        click.echo(fixity.describe(check), err=True)
    click.echo(f"Checked {report.checked} files: {report.checked - len(failures)} intact, {len(failures)} failed.")
    if failures:
        sys.exit(1)


@click.command("export-bag")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--external-id", "external_ids", multiple=True, help="Only this testimony (repeat for more).")
@click.option("--include-restricted", is_flag=True,
              help="Staff bags: every testimony, original recordings, restricted passages, real names.")
@click.option("--base-url", default="http://localhost/", show_default=True,
              help="The site's address, for the links inside the IIIF manifest and OHMS file.")
def export_bag_command(dest: Path, external_ids: tuple[str, ...], include_restricted: bool, base_url: str) -> None:
    """Write BagIt 1.0 bags (one per testimony) into DEST."""
    try:
        report = bags.export_bags(dest, list(external_ids), include_restricted=include_restricted, base_url=base_url)
    except bags.BagProblems as error:
        _fail(f"{dest}: no bags written.", error.problems)
        return
    click.echo(f"Wrote {len(report.bags)} {report.level} bag(s) to {dest}.")


@click.command("import-bag")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_bag_command(src: Path) -> None:
    """Import a bag (or a folder of bags) written by export-bag, after validating every bag."""
    from archive.core.vocabulary import seed_vocabulary

    seed_vocabulary()
    try:
        report = bags.import_bags(src)
    except bags.BagProblems as error:
        _fail(f"{src}: {len(error.problems)} problem(s); nothing was imported.", error.problems)
        return
    click.echo(f"Imported {report.created} new and updated {report.updated} testimonies "
               f"({report.unchanged} unchanged).")


COMMANDS = (backup_command, restore_command, fixity_command, export_bag_command, import_bag_command)
