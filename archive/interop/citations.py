"""How to cite a testimony: Chicago-style text, BibTeX and CSL-JSON, all around one stable permalink.

A citation is built from the reader's protected view of the testimony (`archive.policy.protected`):
the author is the name the page shows (the consented public name or the pseudonym, never the real
name), and the narrator note gives the profile as the page shows it (birth decade, home province,
five-year bands unless the narrator consented to exact values).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import url_for

from archive.models import Testimony
from archive.models.base import utcnow
from archive.policy.protected import TestimonyView
from archive.formats.sanitize import html_to_text
from archive.interop import profiles
from archive.interop import oai
from archive.interop.oai import FICTIONAL_NOTICE, repository_name

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_BIBTEX_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")


@dataclass
class Citation:
    """Everything the citation box and the downloads need."""

    permalink: str
    narrator: str
    title: str
    chicago: str
    bibtex: str
    csl: dict[str, Any]
    # The narrator's profile as the reader's view shows it ("Narrator: born 1970s; from ..."), or "".
    profile: str = ""


def permalink(testimony: Testimony | TestimonyView) -> str:
    """The stable address of a testimony page (its numeric id never changes)."""
    return url_for("public.testimony", testimony_id=testimony.id, _external=True)


def date_parts(value: str | None) -> list[int]:
    """"2019-05-14" → [2019, 5, 14]; partial dates give fewer parts; nonsense gives none."""
    parts = []
    for piece in (value or "").split("-")[:3]:
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return parts


def chicago_date(value: str | None) -> str:
    """A date as Chicago writes it: "May 14, 2019", "May 2019" or "2019"."""
    parts = date_parts(value)
    if len(parts) >= 2 and 1 <= parts[1] <= 12:
        month = MONTHS[parts[1] - 1]
        return f"{month} {parts[2]}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"
    return str(parts[0]) if parts else ""


def cite(view: TestimonyView, accessed: date | None = None) -> Citation:
    """The citation of a testimony as the reader's protected view shows it."""
    t = view
    accessed = accessed or utcnow().date()
    link = permalink(t)
    narrator = t.narrator.display_name
    profile = profiles.sentence(t.narrator)
    archive_name = repository_name()
    when = chicago_date(t.interview_date)
    interview = "Oral history interview"
    if t.interviewer:
        interview = f"Interview by {t.interviewer}"
    details = ", ".join(part for part in (interview, t.interview_place, when) if part)
    sentences = [f"{narrator}.", f"\u201c{_end(t.title)}\u201d", f"{details}."]
    if t.fictional:
        sentences.append(FICTIONAL_NOTICE)
    sentences += [f"{archive_name}.", f"{link}.", f"Accessed {chicago_date(accessed.isoformat())}."]
    return Citation(permalink=link, narrator=narrator, title=t.title, chicago=" ".join(sentences),
                    bibtex=_bibtex(t, narrator, archive_name, link, accessed, profile),
                    csl=_csl(t, narrator, archive_name, link, accessed, profile), profile=profile)


def _end(title: str) -> str:
    """Chicago puts the period inside the closing quotation mark."""
    return title if title.endswith((".", "?", "!")) else title + "."


def _bib(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}",
                                          "^": r"\textasciicircum{}"}.get(m.group(1), "\\" + m.group(1)),
                               " ".join(value.split()))


def _note(t: TestimonyView, profile: str) -> str:
    """The narrator's shown profile and, for demonstration records, the fictional notice."""
    return " ".join(part for part in (profile, FICTIONAL_NOTICE if t.fictional else "") if part)


def _bibtex(t: TestimonyView, narrator: str, archive_name: str, link: str, accessed: date, profile: str) -> str:
    parts = date_parts(t.interview_date)
    fields: list[tuple[str, str]] = [
        # Double braces: a pseudonym is one name, not "Last, First" for BibTeX to reorder.
        ("author", "{" + _bib(narrator) + "}"),
        ("title", "{" + _bib(t.title) + "}"),
        ("howpublished", _bib("Oral history interview" + (f" by {t.interviewer}" if t.interviewer else "")
                              + (f", {t.interview_place}" if t.interview_place else ""))),
        ("organization", _bib(archive_name)),
    ]
    if parts:
        fields.append(("year", str(parts[0])))
    if len(parts) >= 2 and 1 <= parts[1] <= 12:
        fields.append(("month", _BIBTEX_MONTHS[parts[1] - 1]))
    if t.languages:
        fields.append(("language", _bib(", ".join(t.languages))))
    fields += [("url", link), ("urldate", accessed.isoformat())]
    if _note(t, profile):
        fields.append(("note", _bib(_note(t, profile))))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{testimony-{t.id},\n{body}\n}}\n"


def _csl(t: TestimonyView, narrator: str, archive_name: str, link: str, accessed: date,
         profile: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"testimony-{t.id}",
        "type": "interview",
        "title": t.title,
        "author": [{"literal": narrator}],
        "publisher": archive_name,
        "URL": link,
        "accessed": {"date-parts": [[accessed.year, accessed.month, accessed.day]]},
        "genre": "Oral history interview",
    }
    if t.interviewer:
        item["interviewer"] = [{"literal": t.interviewer}]
    parts = date_parts(t.interview_date)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if t.interview_place:
        item["event-place"] = t.interview_place
    if t.languages:
        item["language"] = t.languages[0]
    summary = html_to_text(t.summary or "").strip()
    if summary:
        item["abstract"] = summary
    if _note(t, profile):
        item["note"] = _note(t, profile)
    return item


def dublin_core(view: TestimonyView) -> dict[str, Any]:
    """Dublin Core of a testimony page for its <meta name="DC.*"> tags: the reader's view, plus the permalink."""
    metadata = oai.describe(view)
    metadata["identifier"] = [permalink(view)]
    return metadata
