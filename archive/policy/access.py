"""The one access policy: who may see which testimony, passage and recording.

Pages, search, listings, feeds, exports and media all ask this module, so they cannot disagree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from archive.core.extensions import db
from archive.models import AccessGrant, Narrator, Recording, Segment, Testimony, User
from archive.models.base import utcnow

PUBLIC = "public"
RESEARCHER = "researcher"
STAFF = "staff"


def audience_for(user: Any) -> str:
    """Name the audience a user belongs to: public, researcher (approved) or staff."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    if user.role in ("admin", "curator") and user.active:
        return STAFF
    if user.role == "researcher" and user.approved and user.active:
        return RESEARCHER
    return PUBLIC


def today() -> date:
    """The current UTC date, against which embargoes are judged."""
    return utcnow().date()


def testimony_visibility(testimony: Testimony, on: date | None = None) -> str:
    """The widest audience that may see this testimony: public, researchers or staff."""
    on = on or today()
    if (
        testimony.status != "published"
        or testimony.access == "restricted"
        or testimony.consent_withdrawn_at is not None
        or (testimony.embargo_until is not None and testimony.embargo_until > on)
    ):
        return STAFF
    return "researchers" if testimony.access == "researchers" else PUBLIC


def level_allows(audience: str, testimony: Testimony) -> bool:
    """Whether an audience sees this testimony by its status and access level alone (no grant)."""
    visibility = testimony_visibility(testimony)
    if audience == STAFF:
        return True
    if audience == RESEARCHER:
        return visibility in (PUBLIC, "researchers")
    return visibility == PUBLIC


def can_view(user: Any, testimony: Testimony | None) -> bool:
    """Whether the user may know that this testimony exists (by its level, or by an access grant)."""
    if testimony is None:
        return False
    return level_allows(audience_for(user), testimony) or has_grant(user, testimony)


# ---------------------------------------------------------------------------------------- access grants
# A curator may let one researcher open one restricted or researchers-only testimony for a period
# (archive/grants/). The grant widens the access level only: a draft, an embargo or a withdrawn consent
# keeps the testimony closed to the grantee as to everyone, and the grantee sees it as an approved
# researcher does (through the protected view: no real names, no restricted passages).


def may_hold_grants(user: Any) -> bool:
    """Only active researcher accounts (approved or not) receive access grants."""
    return bool(getattr(user, "is_authenticated", False) and user.role == "researcher" and user.active)


def grant_can_open(testimony: Testimony, on: date | None = None) -> bool:
    """Whether a grant may open this testimony now: published, consent not withdrawn, no embargo running."""
    on = on or today()
    return (testimony.status == "published" and testimony.consent_withdrawn_at is None
            and (testimony.embargo_until is None or testimony.embargo_until <= on))


def granted_ids(user: Any, now: datetime | None = None) -> Select[tuple[int]]:
    """The ids of the testimonies the user holds an unrevoked, unexpired grant for (a subquery)."""
    return select(AccessGrant.testimony_id).where(
        AccessGrant.user_id == user.id, AccessGrant.revoked_at.is_(None), AccessGrant.expires_at > (now or utcnow()))


def has_grant(user: Any, testimony: Testimony, now: datetime | None = None) -> bool:
    """Whether a live grant lets this user open this testimony now (checked against the clock each time)."""
    if not may_hold_grants(user) or testimony.id is None or not grant_can_open(testimony):
        return False
    return bool(db.session.scalar(select(exists(granted_ids(user, now).where(
        AccessGrant.testimony_id == testimony.id)))))


def can_edit(user: Any) -> bool:
    """Only curators and admins change the archive."""
    return audience_for(user) == STAFF


def can_administer(user: Any) -> bool:
    """Only active admins manage accounts and read the audit log."""
    return bool(getattr(user, "is_authenticated", False) and user.role == "admin" and user.active)


def can_view_narrator(user: Any, narrator: Narrator | None) -> bool:
    """A narrator exists for this user only through at least one testimony the user may see."""
    return narrator is not None and any(can_view(user, t) for t in narrator.testimonies)


def narrator_filter(user: Any, on: date | None = None) -> ColumnElement[bool]:
    """SQL condition on narrators matching `can_view_narrator`."""
    if audience_for(user) == STAFF:
        return true()
    return Narrator.testimonies.any(visible_filter(user, on))


def visible_filter(user: Any, on: date | None = None) -> ColumnElement[bool]:
    """SQL condition selecting exactly the testimonies `can_view` allows (live grants included)."""
    audience = audience_for(user)
    if audience == STAFF:
        return true()
    on = on or today()
    levels = ["public", "researchers"] if audience == RESEARCHER else ["public"]
    opened: ColumnElement[bool] = Testimony.access.in_(levels)
    if may_hold_grants(user):
        opened = or_(opened, Testimony.id.in_(granted_ids(user)))
    return and_(
        Testimony.status == "published",
        opened,
        Testimony.consent_withdrawn_at.is_(None),
        or_(Testimony.embargo_until.is_(None), Testimony.embargo_until <= on),
    )


def can_read_transcript(user: Any, testimony: Testimony) -> bool:
    """Transcript text needs the narrator's consent unless the reader is staff."""
    if not can_view(user, testimony):
        return False
    return audience_for(user) == STAFF or testimony.consent_transcript


def can_hear(user: Any, testimony: Testimony) -> bool:
    """Recordings need the narrator's consent to publish audio unless the listener is staff.

    A video shows the narrator's face: it also needs consent to show face and voice unaltered.
    Whoever is not staff hears only the public copy (`hears_original`): restricted passages silenced
    and, for audio published without consent to the unaltered voice, the voice masked (`masks_voice`).
    """
    if not can_view(user, testimony):
        return False
    if audience_for(user) == STAFF:
        return True
    if not testimony.consent_audio:
        return False
    return testimony.consent_face_voice or not any(r.is_video for r in testimony.recordings)


def hears_original(user: Any) -> bool:
    """Only staff hear original recordings; everyone else gets the public copy or no audio at all."""
    return audience_for(user) == STAFF


def masks_voice(testimony: Testimony) -> bool:
    """Audio published without consent to the unaltered voice is heard only with the voice masked."""
    return bool(testimony.consent_audio) and not testimony.consent_face_voice


def hearable_filter(user: Any, on: date | None = None) -> ColumnElement[bool]:
    """SQL condition selecting testimonies with a recording that `can_hear` lets the user play."""
    if audience_for(user) == STAFF:
        return Testimony.recordings.any()
    return and_(
        visible_filter(user, on),
        Testimony.consent_audio.is_(True),
        Testimony.recordings.any(),
        or_(Testimony.consent_face_voice.is_(True), ~Testimony.recordings.any(Recording.mime_type.like("video/%"))),
    )


def can_see_segment(user: Any, segment: Segment) -> bool:
    """Restricted passages are for staff only."""
    return not segment.restricted or audience_for(user) == STAFF


def segment_filter(user: Any) -> ColumnElement[bool]:
    """SQL condition on segments matching `can_see_segment`."""
    return true() if audience_for(user) == STAFF else Segment.restricted == false()


def display_name(narrator: Narrator, testimony: Testimony | None = None) -> str:
    """The name shown publicly: the consented public name, otherwise the pseudonym."""
    consented = testimony.consent_name if testimony is not None else any(
        t.consent_name and testimony_visibility(t) == PUBLIC for t in narrator.testimonies)
    if narrator.public_name and consented:
        return narrator.public_name
    return narrator.pseudonym


def is_user_staff(user: User | None) -> bool:
    """Shorthand used by templates."""
    return audience_for(user) == STAFF
