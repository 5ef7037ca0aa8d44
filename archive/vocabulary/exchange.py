"""The vocabularies as one CSV file, and back: `archive export-vocabulary` and `archive import-vocabulary`.

Columns: vocabulary (topic, place, occupation, education, residence), slug, label_en, label_ko,
description (topics), kind, mccune_reischauer, revised_romanization, other_variants ("|" between
spellings), parent (a province's slug) for places, retired ("yes" or empty). A row is matched to a term
by vocabulary and slug (an old slug counts: the row then renames nothing, it updates the term the slug
now points to). An unknown slug adds a term. The whole file is checked first; any problem and nothing
is written. Exporting and importing the export changes nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from archive.core import dispatch
from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.formats.csvsafe import BOM, restore, write_csv
from archive.models import CATEGORY_SCHEMES, VOCABULARIES
from archive.vocabulary import terms

COLUMNS = ("vocabulary", "slug", "label_en", "label_ko", "description", "kind", "mccune_reischauer",
           "revised_romanization", "other_variants", "parent", "retired")
YES = {"yes", "y", "true", "1", "예"}


@dataclass
class VocabularyImport:
    """What an import did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


def export_csv() -> str:
    """Every term of every vocabulary (places with their parent after the provinces)."""
    rows = []
    for vocabulary in VOCABULARIES:
        listed = terms.terms(vocabulary)
        if vocabulary == "place":
            listed.sort(key=lambda p: (p.parent_id is not None, p.name_en))
        for term in listed:
            en, ko = terms.labels(term)
            place = vocabulary == "place"
            rows.append([vocabulary, term.slug, en, ko, getattr(term, "description", ""),
                         term.kind if place else "", term.mccune_reischauer if place else "",
                         term.revised_romanization if place else "", term.other_variants if place else "",
                         term.parent.slug if place and term.parent else "", "yes" if term.retired else ""])
    return write_csv(COLUMNS, rows)


def import_csv(text: str, actor: Any = None) -> VocabularyImport:
    """Add and update terms from a CSV export; raise ValidationError listing every problem by line."""
    rows = _read(text)
    report = VocabularyImport()
    problems: dict[str, list[str]] = {}
    with dispatch.deferred():
        # Checked row by row against the database as it will be: a new province may be the parent of a
        # city further down. The rows are flushed, never committed, until every row passed.
        for number, row in rows:
            try:
                _apply(row, report, actor)
            except ValidationError as error:
                for name, messages in error.errors.items():
                    where = _("line %(line)s", line=number) + (f": {name}" if name != "__all__" else "")
                    problems.setdefault(where, []).extend(messages)
        if problems:
            db.session.rollback()
            raise ValidationError(problems)
        db.session.commit()
    return report


def _read(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix(BOM)))
    header = [restore(name or "").strip() for name in reader.fieldnames or []]
    missing = [name for name in ("vocabulary", "slug") if name not in header]
    if missing:
        raise ValidationError(_("line 1: the header lacks the column(s) %(names)s; export a file to see the "
                                "expected columns.", names=", ".join(missing)), "file")
    rows = []
    for row in reader:
        values = {restore(k or "").strip(): restore(v or "").strip() for k, v in zip(header, row.values())
                  if isinstance(v, str)}
        if any(values.values()):
            rows.append((reader.line_num, values))
    if not rows:
        raise ValidationError(_("the file holds no terms"), "file")
    return rows


def _apply(row: dict[str, str], report: VocabularyImport, actor: Any) -> None:
    vocabulary = row.get("vocabulary", "")
    if vocabulary not in VOCABULARIES:
        raise ValidationError(_("unknown vocabulary %(name)s: choose one of %(names)s", name=repr(vocabulary[:40]),
                                names=", ".join(VOCABULARIES)), "vocabulary")
    slug = row.get("slug", "")
    term = terms.get_term(vocabulary, slug) or (terms.redirect_target(vocabulary, slug) if slug else None)
    data = {f.name: row[f.name] for f in terms.FIELDS[vocabulary] if f.name in row}
    en, ko = terms.LABELS.get(vocabulary, ("label_en", "label_ko"))
    data.update({en: row.get("label_en", ""), ko: row.get("label_ko", "")})
    if vocabulary == "place":
        data.update(kind=row.get("kind", ""), parent=row.get("parent", ""))
    if vocabulary in CATEGORY_SCHEMES or vocabulary == "place":
        data.pop("description", None)
    retired = row.get("retired", "").casefold() in YES
    if term is None:
        term = terms.add_term(vocabulary, data, actor=actor, commit=False)
        report.added.append(f"{vocabulary}:{term.slug}")
    else:
        data["slug"] = term.slug
        changed = terms.update_term(term, data, actor=actor, commit=False)
        if changed or term.retired != retired:
            report.changed.append(f"{vocabulary}:{term.slug}")
        else:
            report.unchanged += 1
    terms.set_retired(term, retired, actor=actor, commit=False)
