"""Flask commands: archive (import, load-demo, vocabularies and the preservation commands), users, search."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from archive.jobs.cli import jobs_cli
from archive.preservation import cli as preservation_cli
from archive.models import ROLES
from archive.curation import imports
from archive.search import sync as search_sync
from archive.accounts import users
from archive.core.commands import ArchiveGroup
from archive.core.errors import ValidationError
from archive.themes.pages import seed_themes
from archive.core.vocabulary import seed_vocabulary

archive_cli = ArchiveGroup("archive", help="Import and maintain testimonies.")
users_cli = ArchiveGroup("users", help="Manage accounts.")
search_cli = ArchiveGroup("search", help="Maintain the search index.")
for _command in preservation_cli.COMMANDS:  # backup, restore, fixity, export-bag, import-bag
    archive_cli.add_command(_command)


@archive_cli.command("seed")
def seed_command() -> None:
    """Load the controlled vocabularies (places, categories, topics) and the context themes."""
    added = seed_vocabulary()
    click.echo(f"Vocabulary: {added['places']} places, {added['categories']} categories, {added['topics']} topics added.")
    click.echo(f"Themes: {seed_themes()} added (existing themes are left as curators edited them).")


@archive_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--media-root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory that the `media` and `transcript_vtt` paths are relative to (default: the file's directory).")
@click.option("--new-topics", is_flag=True,
              help="Add the file's tags that are not in the topic vocabulary as new topics (listed first).")
def import_command(file: Path, media_root: Path | None, new_topics: bool) -> None:
    """Import testimonies from a JSON Lines file (validated whole before anything is written)."""
    seed_vocabulary()
    unknown = imports.unknown_topics(file)
    if new_topics and unknown:
        click.echo(f"New topics ({len(unknown)}), added with their English label once the whole file is valid; "
                   "give each a Korean label on the Vocabularies page (/curate/vocabulary/topic):")
        for tag, line in unknown.items():
            click.echo(f"  {tag!r} (first on line {line})")
    try:
        report = imports.import_jsonl(file, media_root or file.parent, progress=_progress_bar, new_topics=new_topics)
    except imports.ImportProblems as problems:
        click.echo(f"{file}: {len(problems.problems)} problem(s); nothing was imported.", err=True)
        for problem in problems.problems:
            click.echo(f"  {problem}", err=True)
        if unknown and not new_topics:
            click.echo(f"{len(unknown)} tag(s) are not in the topic vocabulary; run again with --new-topics to add "
                       "them as new topics.", err=True)
        sys.exit(1)
    added = f", {len(report.new_topics)} new topics" if report.new_topics else ""
    click.echo(f"Imported {report.created} new and updated {report.updated} testimonies "
               f"({report.unchanged} unchanged){added}.")


@archive_cli.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Only load when the archive holds no testimony yet.")
def load_demo_command(if_empty: bool) -> None:
    """Load the demonstration collection (fictional testimonies and a public-record profile)."""
    seed_vocabulary()
    if if_empty and imports.archive_has_testimonies():
        click.echo("The archive already holds testimonies; demo not loaded.")
        return
    report = imports.load_demo(progress=_progress_bar)
    click.echo(f"Demo collection: {report.created} new, {report.updated} updated, {report.unchanged} unchanged.")


@archive_cli.command("import-ohms")
@click.argument("external_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--with-transcript", is_flag=True, help="Also replace the transcript with the file's transcript.")
def import_ohms_command(external_id: str, file: Path, with_transcript: bool) -> None:
    """Replace a testimony's chapters with the index points of an OHMS XML file (see README, Exchange formats)."""
    from archive.interop import exchange

    t = exchange.testimony_by_external_id(external_id)
    if t is None:
        click.echo(f"Error: no testimony has the external identifier {external_id!r}.", err=True)
        sys.exit(1)
    try:
        result = exchange.import_ohms(t, file.read_bytes(), None, with_transcript=with_transcript, source=file.name)
    except (exchange.OhmsError, ValidationError) as error:
        messages = error.messages() if isinstance(error, exchange.OhmsError) else [
            msg if key in ("file", "__all__") else f"{key}: {msg}"
            for key, msgs in error.errors.items() for msg in msgs]
        click.echo(f"{file}: {len(messages)} problem(s); nothing was imported.", err=True)
        for message in messages:
            click.echo(f"  {message}", err=True)
        sys.exit(1)
    done = [f"{result.chapters} chapters"] if result.chapters is not None else []
    done += [f"{result.segments} transcript segments"] if result.segments is not None else []
    click.echo(f"Imported {' and '.join(done)} into {external_id}.")


@archive_cli.command("export-vocabulary")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def export_vocabulary_command(file: Path) -> None:
    """Write every topic, place and category to a CSV file ("-" for standard output)."""
    from archive.vocabulary import exchange

    text = exchange.export_csv()
    if str(file) == "-":
        click.echo(text.removeprefix("\ufeff"), nl=False)
    else:
        file.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Wrote {text.count(chr(10)) - 1} terms to {file}.", err=True)


@archive_cli.command("import-vocabulary")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_vocabulary_command(file: Path) -> None:
    """Add and update topics, places and categories from a CSV file as `export-vocabulary` writes it."""
    from archive.vocabulary import exchange

    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = file.read_bytes()[: error.start].count(b"\n") + 1
        click.echo(f"{file}: line {line}: the file is not valid UTF-8 text; save it as UTF-8 CSV. Nothing was "
                   "imported.", err=True)
        sys.exit(1)
    try:
        report = exchange.import_csv(text)
    except ValidationError as error:
        problems = [message if where in ("file", "__all__") else f"{where}: {message}"
                    for where, messages in error.errors.items() for message in messages]
        click.echo(f"{file}: {len(problems)} problem(s); nothing was imported.", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"Vocabulary: {len(report.added)} added, {len(report.changed)} changed, {report.unchanged} unchanged.")
    for name in report.added:
        click.echo(f"  added {name}")
    for name in report.changed:
        click.echo(f"  changed {name}")


@users_cli.command("create")
@click.argument("email")
# Checked by the service rather than click.Choice, so a bad role is reported like every other
# invalid value (an "Error: role ..." line and exit status 1), not as a usage error (status 2).
@click.option("--role", required=True, metavar="|".join(ROLES), help="The account's role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--approved/--not-approved", default=None, help="Researchers start unapproved unless --approved.")
def create_user_command(email: str, role: str, password_stdin: bool, approved: bool | None) -> None:
    """Create an account (the password is prompted for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(email, password, role.strip().lower(), approved=approved)
    except ValidationError as error:
        for field, messages in error.errors.items():
            for message in messages:
                click.echo(f"Error: {field} {message}", err=True)
        sys.exit(1)
    click.echo(f"Created {user.role} {user.email}{'' if user.approved else ' (awaiting approval)'}.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database."""
    with click.progressbar(length=imports.count_testimonies(), label="Indexing", file=sys.stderr) as bar:
        count = search_sync.reindex(progress=bar.update)
    click.echo(f"Indexed {count} testimonies.")


@search_cli.command("verify")
@click.option("--repair", is_flag=True, help="Fix every difference found.")
def verify_command(repair: bool) -> None:
    """Compare the index with the database (and repair it with --repair)."""
    search_sync.drain_outbox() if repair else None
    report = search_sync.verify(repair=repair)
    problems = sum(len(v) for v in report.values())
    for kind, ids in report.items():
        if ids:
            click.echo(f"{kind}: {len(ids)} ({', '.join(map(str, ids[:20]))}{' …' if len(ids) > 20 else ''})")
    if not problems:
        click.echo("Index matches the database.")
    elif repair:
        click.echo(f"Repaired {problems} difference(s).")
    else:
        click.echo(f"{problems} difference(s); run with --repair to fix them.")
        sys.exit(1)


def _progress_bar(done: int, total: int) -> None:
    """Draw a progress bar on stderr for long imports."""
    if total < 20 or not sys.stderr.isatty() and not current_app.config.get("FORCE_PROGRESS"):
        return
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(archive_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(jobs_cli)
