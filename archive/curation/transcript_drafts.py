"""The transcript editor's drafts and how a draft becomes the transcript.

A curator's editor autosaves the whole transcript as a draft (one per testimony and curator) every few
seconds after a change; nothing public changes until "Save transcript" applies the draft through
`testimonies.replace_transcript`, the same audited, versioned path an import takes (so the search index,
the public copies and every public surface follow, and restricted passages stay withheld).

Optimistic locking is on the transcript as a whole: its version is a fingerprint of the saved segments,
so an edit of the testimony's details does not make a transcript draft stale, while any change to the
passages (another curator's save, an import, a passage restricted from the checklist) does. A stale
apply is refused and the draft kept.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive.core.errors import ConflictError, ValidationError
from archive.core.extensions import db
from archive.core.fields import Collector
from archive.curation import testimonies
from archive.models import Testimony, TranscriptDraft

PASSAGE_FIELDS = ("start", "end", "speaker", "text", "language", "restricted")
MAX_PASSAGES = 20000
MAX_DRAFT_CHARS = 20_000_000  # the JSON of a draft; a transcript of many hours stays well below
DEFAULT_SPEAKERS = ("Interviewer", "Narrator")


def passage_of(segment: Any) -> dict[str, Any]:
    """One saved segment (or validated passage values) as the editor holds it."""
    get = segment.get if isinstance(segment, dict) else lambda name: getattr(segment, name)
    return {"start": round(float(get("start")), 3), "end": round(float(get("end")), 3),
            "speaker": get("speaker") or "", "text": get("text") or "", "language": get("language") or "",
            "restricted": bool(get("restricted"))}


def saved_passages(t: Testimony) -> list[dict[str, Any]]:
    return [passage_of(s) for s in t.segments]


def transcript_version(t: Testimony) -> str:
    """A fingerprint of the saved transcript: it changes exactly when a passage does."""
    canonical = json.dumps(saved_passages(t), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def speakers_of(t: Testimony, passages: list[dict[str, Any]], extra: list[str] | None = None) -> list[str]:
    """The testimony's speaker list: those of its passages (saved and drafted), else interviewer and narrator."""
    names: dict[str, None] = {}
    for name in [*(extra or []), *(s.speaker for s in t.segments), *(p.get("speaker") for p in passages)]:
        if isinstance(name, str) and name.strip():
            names[name.strip()] = None
    return list(names) or list(DEFAULT_SPEAKERS)


def find_draft(t: Testimony, user: Any) -> TranscriptDraft | None:
    return db.session.scalar(select(TranscriptDraft).where(TranscriptDraft.testimony_id == t.id,
                                                           TranscriptDraft.user_id == user.id))


def editor_state(t: Testimony, user: Any) -> dict[str, Any]:
    """What the editor opens with: this curator's draft when there is one, else the saved transcript."""
    version = transcript_version(t)
    draft = find_draft(t, user)
    if draft is not None:
        content = json.loads(draft.content)
        passages = content.get("passages") or []
        return {"version": draft.base_version, "current_version": version, "passages": passages,
                "speakers": speakers_of(t, passages, content.get("speakers")),
                "draft": {"saved_at": draft.updated_at.isoformat(timespec="seconds") + "Z",
                          "stale": draft.base_version != version}}
    passages = saved_passages(t)
    return {"version": version, "current_version": version, "passages": passages,
            "speakers": speakers_of(t, passages), "draft": None}


def draft_content(data: Any) -> tuple[str, dict[str, Any]]:
    """Check the shape of a posted draft ({version, passages, speakers}); the rules are checked on apply."""
    if not isinstance(data, dict):
        raise ValidationError(_("The draft must be a JSON object with version and passages."))
    c = Collector()
    version = data.get("version")
    if not isinstance(version, str) or not 1 <= len(version) <= 64:
        c.add("version", _("the transcript version the editor was opened at is missing"))
    passages = data.get("passages")
    if not isinstance(passages, list):
        c.add("passages", _("must be a list of passages"))
        passages = []
    elif len(passages) > MAX_PASSAGES:
        c.add("passages", _("at most %(max)s passages", max=MAX_PASSAGES))
    kept = []
    for i, passage in enumerate(passages):
        if not isinstance(passage, dict):
            c.add(f"transcript[{i + 1}]", _("must be an object with start, end and text"))
            continue
        kept.append({name: passage.get(name) for name in PASSAGE_FIELDS})
    speakers = data.get("speakers") or []
    if not isinstance(speakers, list) or not all(isinstance(s, str) and len(s) <= 120 for s in speakers):
        c.add("speakers", _("must be a list of names of at most 120 characters"))
        speakers = []
    if c.errors:
        raise ValidationError(c.errors)
    content = {"passages": kept, "speakers": speakers[:500]}
    if len(json.dumps(content, ensure_ascii=False)) > MAX_DRAFT_CHARS:
        raise ValidationError({"passages": [_("the draft is too large")]})
    return str(version), content


def save_draft(t: Testimony, user: Any, data: Any) -> TranscriptDraft:
    """Store (or replace) this curator's draft of the transcript; nothing public changes."""
    version, content = draft_content(data)
    for attempt in (1, 2):
        draft = find_draft(t, user)
        if draft is None:
            draft = TranscriptDraft(testimony_id=t.id, user_id=user.id, content="")
            db.session.add(draft)
        draft.base_version = version
        draft.content = json.dumps(content, ensure_ascii=False)
        try:
            db.session.commit()
        except IntegrityError:  # the same curator's other tab created the draft at the same moment
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        break
    return draft


def discard_draft(t: Testimony, user: Any) -> bool:
    """Drop this curator's draft; the editor reopens on the saved transcript."""
    draft = find_draft(t, user)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.commit()
    return True


def overlaps(passages: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Passages (validated, in the editor's order) that start before the one above them ends."""
    problems: dict[str, list[str]] = {}
    for number, (above, passage) in enumerate(zip(passages, passages[1:]), start=2):
        if passage["start"] < above["end"]:
            problems.setdefault(f"transcript[{number}].start", []).append(
                _("(%(start)s) overlaps passage %(above)s, which ends at %(end)s", start=passage["start"],
                  above=number - 1, end=above["end"]))
    return problems


def apply_draft(t: Testimony, user: Any, data: Any, actor: Any = None) -> Testimony:
    """Save the posted draft, then make it the transcript unless the saved one changed since it was opened.

    The draft is committed first, so a refused apply (stale, or invalid passages) keeps it.
    """
    draft = save_draft(t, user, data)
    current = transcript_version(t)
    if draft.base_version != current:
        raise ConflictError(_("The transcript was changed by someone else after you opened the editor. Nothing "
                              "was saved and your draft is kept. Load the saved transcript to see their changes "
                              "(your draft is then discarded), or keep your draft to replace their version when "
                              "you save."), [])
    passages = json.loads(draft.content)["passages"]
    values = testimonies.segment_values(passages)
    problems = overlaps(values)
    if problems:
        raise ValidationError(problems)
    db.session.delete(draft)
    if [passage_of(v) for v in values] == saved_passages(t):
        db.session.commit()  # nothing changed: no new version, nothing to audit
        return t
    return testimonies.replace_transcript(t, values, t.version, actor if actor is not None else user,
                                          source="transcript editor")
