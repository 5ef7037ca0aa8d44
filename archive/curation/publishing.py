"""Publishing a testimony to people outside staff: a checklist, then a confirmation.

A testimony is released to an audience by its status and access level together: a published
testimony with access "public" is for everyone, with "researchers" for approved researchers, and
anything else for staff only (embargo and a consent withdrawal only hold it back further). Widening
that audience — draft → published with access public or researchers, or restricted → researchers →
public on a published one — goes through `publish_testimony`, which the curators' checklist page calls
after showing who will see it, the consent flags, the profile as it will appear with its population
estimate, the sensitive-term hits, the restricted passages and the state of the public recording. It
refuses while sensitive-term hits remain unresolved, and below the disclosure threshold it needs a
written justification (stored in `Testimony.disclosure_justification` and audited).

The curators' details form and Publish button call `testimonies.update_testimony(..., widen=False)`
and are refused with a pointer to the checklist. Imports (JSONL, the CLI) and the test factory set
status and access directly through `testimonies.create_testimony` / `update_testimony` /
`publish_testimony`: they carry records a person already reviewed elsewhere, and are audited as such.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from archive.media import copies
from archive.media.copies import Protection
from archive.models import Recording, Segment, Testimony
from archive.policy import access, disclosure
from archive.policy.release import RANK, AUDIENCES, released_to
from archive.policy.protected import ProfileView, TestimonyView
from archive.core import audit
from archive.curation import sensitive
from archive.curation import testimonies as testimony_service
from archive.core.errors import ValidationError
from archive.core.saving import check_version
from archive.core.fields import FieldProblem, optional_text

# The protected view's name of each audience.
VIEW_AUDIENCE = {"public": access.PUBLIC, "researchers": access.RESEARCHER}
MIN_JUSTIFICATION = 20


class _AsReleased:
    """The testimony as it will be once released to an audience: published at that access level.

    Lets the protected view (the only place that knows what an audience sees) say what the audience
    will see, instead of this module repeating its rules. The embargo is left out: it only delays.
    """

    def __init__(self, t: Testimony, audience: str) -> None:
        self._t = t
        self.status = "published"
        self.access = audience
        self.embargo_until = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._t, name)


@dataclass(frozen=True)
class RecordingState:
    """What the audience will get of the recording: only ever its public copy (archive/media/copies.py)."""

    exists: bool
    audible: bool
    is_video: bool
    consent_audio: bool
    consent_face_voice: bool
    # The main recording's public copy: restricted passages silenced, voice masked without consent.
    protection: Protection | None


@dataclass
class Checklist:
    """Everything a curator reviews before releasing a testimony to an audience."""

    testimony: Testimony
    audience: str
    current: str | None
    view: TestimonyView
    profile: ProfileView
    estimate: disclosure.Estimate
    scan: sensitive.Scan
    restricted: list[Segment]
    recording: RecordingState
    consents: dict[str, bool]
    embargo_until: date | None
    blockers: list[str] = field(default_factory=list)

    @property
    def already_released(self) -> bool:
        """Whether the testimony already reaches this audience (or a wider one)."""
        return RANK[self.current] >= RANK[self.audience]

    @property
    def needs_justification(self) -> bool:
        return self.estimate.below

    @property
    def can_publish(self) -> bool:
        return not self.blockers


def default_audience(t: Testimony) -> str:
    """The audience the checklist opens with: the access level chosen, else the narrower one."""
    return t.access if t.access in AUDIENCES else "researchers"


def checklist(t: Testimony, audience: str) -> Checklist:
    """Review what `audience` ("public" or "researchers") would see of the testimony."""
    if audience not in AUDIENCES:
        raise ValidationError({"audience": [_("must be “public” or “researchers”")]})
    view = TestimonyView(_AsReleased(t, audience), VIEW_AUDIENCE[audience])  # type: ignore[arg-type]
    profile = view.narrator
    estimate = disclosure.estimate(profile)
    scan = sensitive.scan(t)
    recordings: list[Recording] = list(t.recordings)
    restricted = sensitive.restricted_passages(t)
    state = RecordingState(
        exists=bool(recordings), audible=bool(recordings) and view.can_hear,
        is_video=any(r.is_video for r in recordings), consent_audio=bool(t.consent_audio),
        consent_face_voice=bool(t.consent_face_voice),
        protection=copies.protection(recordings[0]) if recordings else None)
    current = released_to(t.status, t.access)
    result = Checklist(
        testimony=t, audience=audience, current=current, view=view, profile=profile, estimate=estimate,
        scan=scan, restricted=restricted, recording=state,
        consents={"audio": bool(t.consent_audio), "transcript": bool(t.consent_transcript),
                  "name": bool(t.consent_name), "face_voice": bool(t.consent_face_voice),
                  "detailed_profile": bool(t.narrator.consent_detailed_profile)},
        embargo_until=t.embargo_until if t.embargo_until and t.embargo_until > access.today() else None)
    if t.consent_withdrawn_at is not None:
        result.blockers.append(_("The narrator withdrew consent: this testimony cannot be published."))
    if result.already_released:
        result.blockers.append(_("It is already visible to this audience or a wider one. To narrow who sees it, "
                                 "change the access level under Details."))
    if scan.unresolved:
        result.blockers.append(unresolved_message(scan))
    return result


def unresolved_message(scan: sensitive.Scan) -> str:
    """The refusal reason for hits that remain."""
    places = ", ".join(dict.fromkeys(h.where for h in scan.unresolved))
    return _("%(count)s sensitive-term hits are not resolved (%(places)s). Restrict those passages or edit "
             "the text, then publish.", count=len(scan.unresolved), places=places)


def publish_testimony(t: Testimony, audience: str, expected_version: int | None, *, confirmed: bool,
                      justification: str = "", actor: Any = None) -> Testimony:
    """Release the testimony to `audience` after the checklist: confirmed, no unresolved hits, justified.

    Sets status "published" and the access level; records the disclosure check (the estimate, its
    threshold and the justification) in the audit log beside the publication itself.
    """
    check_version(t, expected_version)
    review = checklist(t, audience)
    errors: dict[str, list[str]] = {}
    if review.blockers:
        errors["__all__"] = list(review.blockers)
    try:
        text = optional_text(justification, 5000)
    except FieldProblem as problem:
        errors["justification"] = [str(problem)]
        text = ""
    if review.needs_justification and "justification" not in errors and len(text) < MIN_JUSTIFICATION:
        errors["justification"] = [_(
            "is required: about %(expected)s people share the profile shown, fewer than the threshold of "
            "%(threshold)s. Explain in at least %(min)s characters why publishing it is acceptable.",
            expected=review.estimate.rounded, threshold=review.estimate.threshold, min=MIN_JUSTIFICATION)]
    if not confirmed:
        errors["confirm"] = [_("tick this box to confirm that you reviewed the checklist")]
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {}
    if t.status != "published":
        changes["status"] = [t.status, "published"]
    if t.access != audience:
        changes["access"] = [t.access, audience]
    if text and text != t.disclosure_justification:
        # The text itself is in the disclosure_check entry below.
        changes["disclosure_justification"] = ["…", "…"]
        t.disclosure_justification = text
    t.status, t.access = "published", audience
    if t.published_at is None:
        from archive.models.base import utcnow

        t.published_at = utcnow()
    estimate = review.estimate
    audit.record("testimony.disclosure_check", t, {
        "audience": audience, "expected": round(estimate.expected, 2), "population": estimate.population,
        "threshold": estimate.threshold, "below": estimate.below, "justification": text,
        "factors": [{"field": f.field, "label": f.label, "share": round(f.share, 6)} for f in estimate.factors],
        "sensitive_terms": len(review.scan.terms), "handled_hits": len(review.scan.handled),
        "restricted_passages": len(review.restricted)}, actor=actor)
    return testimony_service.commit_change(t, "testimony.publish", changes, actor)
