"""BagIt 1.0 packages of testimonies for preservation repositories, and bringing them back in.

One bag per testimony (the Library of Congress `bagit` library, SHA-256 and SHA-512 manifests). The payload:

    data/testimony.json     the archive's own JSON: one line of the JSONL import format (README, Batch import)
    data/dublin-core.xml    unqualified Dublin Core (oai_dc), as OAI-PMH gives it
    data/media/recording.*  the recording
    data/transcript.vtt, data/transcript.txt, data/ohms.xml, data/iiif-manifest.json

By default a bag holds what an anonymous visitor may have, read through the public protected view: only
testimonies the public may see, the public copy of the recording (restricted passages silenced, voice masked
where needed), no restricted passage, the shown name and generalised profile, no internal identifier.
`include_restricted` makes staff bags: every testimony, the original recording, restricted passages (marked),
the real name and exact profile. `bag-info.txt` says which (`Archive-Access-Level: public` or `staff`).

Importing validates every bag first (`bagit.Bag.validate()`: structure and every checksum), then passes the
bags' `testimony.json` lines to the JSONL import in one file, so it is idempotent in the same way: a bag
imported again updates its testimony, an unchanged one is skipped.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import bagit
from flask import current_app
from sqlalchemy import select

from archive.core import audit
from archive.core.extensions import db
from archive.curation import imports
from archive.formats import oaipmh
from archive.formats.transcripts import to_plain_text
from archive.interop import exchange, oai
from archive.media import copies
from archive.media.files import ALLOWED_MEDIA, MediaError, media_root, resolve_media_path
from archive.models import Testimony
from archive.policy import access, protected
from archive.policy.protected import TestimonyView

BAGIT_VERSION = "1.0"
CHECKSUMS = ["sha256", "sha512"]
METADATA_FILE = "testimony.json"
LEVEL_TAG = "Archive-Access-Level"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class BagProblems(Exception):
    """Bags cannot be written or read; `problems` names each bag and what is wrong. Nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ExportReport:
    bags: list[Path] = field(default_factory=list)
    level: str = "public"


# ------------------------------------------------------------------------------------------------ export


def export_bags(dest: Path, external_ids: list[str] | None = None, *, include_restricted: bool = False,
                base_url: str = "http://localhost/") -> ExportReport:
    """Write one bag per testimony into dest (all the level may see, or the testimonies named)."""
    audience = access.STAFF if include_restricted else access.PUBLIC
    views = _chosen(audience, external_ids)
    dest = Path(dest)
    names = [_bag_name(view) for view in views]
    # Everything that can be known to fail is checked before the first bag is written.
    problems = [f"{dest / name}: already exists" for name in names if (dest / name).exists()]
    problems += [f"{dest / name}: two testimonies would share this bag name" for name in sorted(set(names))
                 if names.count(name) > 1]
    media: list[tuple[Path, str] | None] = []
    for view in views:
        try:
            media.append(_media_source(view))
        except BagProblems as error:
            problems += error.problems
    if problems:
        raise BagProblems(problems)
    report = ExportReport(level="staff" if include_restricted else "public")
    dest.mkdir(parents=True, exist_ok=True)
    with current_app.test_request_context("/", base_url=base_url):
        for view, name, source in zip(views, names, media, strict=True):
            report.bags.append(_write_bag(dest / name, view, source))
    if include_restricted:
        # Staff content left the archive: say so where admins look (the audit log), one entry per testimony.
        for view, path in zip(views, report.bags, strict=True):
            audit.record("preservation.export_bag", view.model, {"level": "staff", "bag": str(path)})
        db.session.commit()
    return report


def _chosen(audience: str, external_ids: list[str] | None) -> list[TestimonyView]:
    """The views to bag; an identifier the level cannot see is refused like a missing one."""
    if not external_ids:
        rows = db.session.scalars(select(Testimony).order_by(Testimony.id))
        return [view for t in rows if (view := protected.audience_view(audience, t)) is not None]
    views, problems = [], []
    for external_id in dict.fromkeys(external_ids):
        t = exchange.testimony_by_external_id(external_id)
        view = protected.audience_view(audience, t) if t is not None else None
        if view is None:
            hint = "" if audience == access.STAFF else " (or it is not public; staff bags need --include-restricted)"
            problems.append(f"--external-id {external_id}: no such testimony{hint}")
        else:
            views.append(view)
    if problems:
        raise BagProblems(problems)
    return views


def _bag_name(view: TestimonyView) -> str:
    # Public bags carry no internal catalogue number (as the OHMS and IIIF exports).
    name = view.external_id if view.staff and view.external_id else f"testimony-{view.id}"
    return _UNSAFE_NAME.sub("_", name).strip("._") or f"testimony-{view.id}"


def _write_bag(path: Path, view: TestimonyView, media: tuple[Path, str] | None) -> Path:
    """Stage the payload, bag it, and mark it BagIt 1.0."""
    path.mkdir(mode=0o700 if view.staff else 0o755)  # make_bag gives data/ the same mode
    try:
        media_name = None
        if media is not None:
            media_name = "recording" + media[1]
            (path / "media").mkdir()
            shutil.copyfile(media[0], path / "media" / media_name)
        line = import_line(view, f"media/{media_name}" if media_name else None)
        (path / METADATA_FILE).write_text(json.dumps(line, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (path / "dublin-core.xml").write_bytes(dublin_core(view))
        segments = view.readable_segments
        if segments:
            (path / "transcript.vtt").write_text(exchange.webvtt(None, view), encoding="utf-8")
            (path / "transcript.txt").write_text(to_plain_text(segments, view.title, include_restricted=view.staff),
                                                 encoding="utf-8")
        for name, build in (("ohms.xml", exchange.ohms_export), ("iiif-manifest.json", exchange.manifest)):
            try:
                content = build(None, view)
            except exchange.NotFound:
                continue  # nothing of that kind for this level (no transcript, no audible recording)
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2)
            (path / name).write_text(text, encoding="utf-8")
        level = "staff" if view.staff else "public"
        info = {
            "Source-Organization": oai.repository_name(),
            "Contact-Email": current_app.config.get("OAI_ADMIN_EMAIL", ""),
            "External-Identifier": path.name,
            "External-Description": view.title,
            LEVEL_TAG: level,
            "Archive-Access-Note": (
                "Staff copy: restricted passages, the narrator's real name, the exact profile and the original "
                "recording. Keep it where only archive staff can read it." if view.staff else
                "Public copy: what an anonymous visitor may have. Restricted passages are left out, the recording "
                "is the public copy, the narrator is named as shown publicly and the profile is generalised."),
        }
        bagit.make_bag(str(path), info, checksums=CHECKSUMS)
        (path / "bagit.txt").write_text(f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n",
                                        encoding="utf-8")
        bagit.Bag(str(path)).save()  # rewrites the tag manifests over the new bagit.txt
    except Exception:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path


def _media_source(view: TestimonyView) -> tuple[Path, str] | None:
    """The level's recording file and its extension: the original for staff, the servable public copy otherwise."""
    rec = view.recording
    if rec is None:
        return None
    if view.staff:
        relative, mime = rec.storage_path, rec.mime_type
    else:
        copy = copies.servable_copy(rec)
        if copy is None or not copy.storage_path:
            return None  # no public copy ready: the public hears nothing, so the bag holds nothing
        relative, mime = copy.storage_path, copy.mime_type or rec.mime_type
    try:
        source = resolve_media_path(media_root(), relative)
    except MediaError as error:
        raise BagProblems([f"testimony {view.id}: {error}"]) from None
    if not source.is_file():
        raise BagProblems([f"testimony {view.id}: the recording file media/{relative} is missing "
                           f"(see `archive fixity`)"])
    return source, ALLOWED_MEDIA.get(mime, Path(relative).suffix)


def dublin_core(view: TestimonyView) -> bytes:
    """The testimony's unqualified Dublin Core as a standalone oai_dc document."""
    holder = ET.Element("holder")
    oaipmh.oai_dc(holder, oai.describe(view))
    return ET.tostring(holder[0][0], encoding="utf-8", xml_declaration=True)


def import_line(view: TestimonyView, media: str | None) -> dict[str, Any]:
    """The testimony as one line of the JSONL import, holding only what the view holds."""
    line: dict[str, Any] = {
        "external_id": view.external_id if view.staff and view.external_id else f"testimony-{view.id}",
        "title": view.title, "language": list(view.languages), "summary": view.summary,
        "interview_date": view.interview_date, "interviewer": view.interviewer,
        "interview_place": view.interview_place, "fictional": view.fictional, "featured": view.featured,
        "tags": [topic.slug for topic in view.topics],
        "chapters": [{"start": c.start, "title": c.title, "synopsis": c.synopsis,
                      "keywords": [k.strip() for k in c.keywords.split(",") if k.strip()]}
                     for c in view.chapters],
        "transcript": [{"start": s.start, "end": s.end, "speaker": s.speaker or None, "text": s.text,
                        "language": s.language or None, "restricted": s.restricted}
                       for s in view.readable_segments],
        "route": [{"country": stop.country.name_en, "place": stop.place or None,
                   "year": _exact(stop.year), "event": stop.event} for stop in view.route if stop.country],
    }
    if media:
        line["media"] = media
    if view.staff:
        t = view.model
        n = t.narrator
        line.update(access=t.access, status=t.status,
                    embargo_until=t.embargo_until.isoformat() if isinstance(t.embargo_until, date) else None)
        line["consent"] = {"audio": t.consent_audio, "transcript": t.consent_transcript, "name": t.consent_name,
                           "face_voice": t.consent_face_voice, "notes": t.consent_notes or ""}
        line["narrator"] = {
            "pseudonym": n.pseudonym, "real_name": n.real_name, "public_name": n.public_name, "gender": n.gender,
            "birth_year": n.birth_year, "left_north_year": n.left_north_year,
            "arrived_south_year": n.arrived_south_year,
            "origin_province": n.origin_province.name_en if n.origin_province else None,
            "origin_place": n.origin_place.name_en if n.origin_place else None,
            "occupation": n.occupation.slug if n.occupation else None,
            "education": n.education.slug if n.education else None,
            "residence_region": n.residence_region.slug if n.residence_region else None,
        }
    else:
        p = view.narrator
        line.update(access="public", status="published")
        heard = media is not None
        line["consent"] = {"audio": heard, "transcript": view.can_read_transcript, "name": view.consent_name,
                           "face_voice": heard and bool(view.recording and view.recording.is_video)}
        line["narrator"] = {
            "pseudonym": p.display_name, "gender": p.gender,
            "birth_year": _exact(p.birth), "left_north_year": _exact(p.left),
            "arrived_south_year": _exact(p.arrived),
            "origin_province": p.home_province.name_en if p.home_province else None,
            "origin_place": p.home_place.name_en if p.home_place else None,
            "occupation": p.occupation.slug if p.occupation else None,
            "education": p.education.slug if p.education else None,
            "residence_region": p.residence.slug if p.residence else None,
        }
    return line


def _exact(band: Any) -> int | None:
    """A year only when the view shows it exactly (a band of one year)."""
    return band.low if band is not None and band.low == band.high else None


# ------------------------------------------------------------------------------------------------ import


def find_bags(src: Path) -> list[Path]:
    """SRC itself when it is a bag, else the bags directly inside it."""
    src = Path(src)
    if (src / "bagit.txt").is_file():
        return [src]
    if not src.is_dir():
        raise BagProblems([f"{src}: no such folder"])
    found = sorted(p for p in src.iterdir() if (p / "bagit.txt").is_file())
    if not found:
        raise BagProblems([f"{src}: neither a bag (no bagit.txt) nor a folder of bags"])
    return found


def validate_bags(bags: list[Path]) -> list[str]:
    """Every problem of every bag (structure, checksums, the metadata file); empty when all are valid."""
    problems = []
    for path in bags:
        try:
            bag = bagit.Bag(str(path))
            bag.validate()
        except bagit.BagValidationError as error:
            details = [str(d) for d in getattr(error, "details", [])] or [error.message]
            problems += [f"bag {path.name}: {detail}" for detail in details]
            continue
        except bagit.BagError as error:
            problems.append(f"bag {path.name}: {error}")
            continue
        if not (path / "data" / METADATA_FILE).is_file():
            problems.append(f"bag {path.name}: data/{METADATA_FILE} is missing; not a bag of this archive")
    return problems


def import_bags(src: Path) -> imports.ImportReport:
    """Validate every bag, then import their testimonies through the JSONL import (all or nothing checked)."""
    bags = find_bags(src)
    problems = validate_bags(bags)
    if problems:
        raise BagProblems(problems)
    root = Path(src) if len(bags) > 1 or bags[0] != Path(src) else Path(src).parent
    lines = []
    for path in bags:
        try:
            line = json.loads((path / "data" / METADATA_FILE).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BagProblems([f"bag {path.name}: data/{METADATA_FILE}: {error}"]) from None
        if isinstance(line, dict) and isinstance(line.get("media"), str):
            line["media"] = f"{path.relative_to(root).as_posix()}/data/{line['media']}"
        lines.append(json.dumps(line, ensure_ascii=False))
    with tempfile.TemporaryDirectory(prefix="archive-bags-") as work:
        batch = Path(work) / "bags.jsonl"
        batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            return imports.import_jsonl(batch, root)
        except imports.ImportProblems as error:
            raise BagProblems([f"bag {bags[p.line - 1].name}: {p.field + ': ' if p.field else ''}{p.message}"
                               for p in error.problems]) from None
