"""A curator's side: what each request named, granting for a period, refusing with a reason, revoking.

Every decision is audited and committed here. A request is decided once: two curators answering it at the
same moment cannot both succeed (the state changes only from pending, in one UPDATE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from archive.core import audit
from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.models import AccessGrant, Testimony, TestimonyAccessRequest
from archive.models.base import utcnow
from archive.policy import access

DEFAULT_DAYS = 30
MAX_DAYS = 365
REASON_MAX = 2000
LISTED = 200  # decided requests and grants shown on the curators' page

# Why a request cannot be granted (None: it can). The curators' page says each in words.
MISSING, DRAFT, WITHDRAWN, EMBARGOED, PUBLIC, ALREADY = "missing", "draft", "withdrawn", "embargoed", "public", "already"


def obstacle(request: TestimonyAccessRequest) -> str | None:
    """Why this request cannot be granted now, or None when it can."""
    t = request.testimony
    if t is None:
        return MISSING
    if t.status != "published":
        return DRAFT
    if t.consent_withdrawn_at is not None:
        return WITHDRAWN
    if not access.grant_can_open(t):
        return EMBARGOED
    if t.access == "public":
        return PUBLIC
    if t.access == "researchers" and access.audience_for(request.user) == access.RESEARCHER:
        return ALREADY
    return None


@dataclass(frozen=True)
class RequestRow:
    """A request as the curators' list shows it."""

    request: TestimonyAccessRequest
    obstacle: str | None


def pending_requests() -> list[RequestRow]:
    """Requests waiting for a decision, oldest first, each with what stands in its way."""
    rows = db.session.scalars(select(TestimonyAccessRequest).where(TestimonyAccessRequest.state == "pending")
                              .order_by(TestimonyAccessRequest.created_at, TestimonyAccessRequest.id))
    return [RequestRow(r, obstacle(r)) for r in rows]


def decided_requests(limit: int = LISTED) -> list[TestimonyAccessRequest]:
    """Granted and refused requests, most recently decided first."""
    return list(db.session.scalars(select(TestimonyAccessRequest).where(TestimonyAccessRequest.state != "pending")
                                   .order_by(TestimonyAccessRequest.decided_at.desc(), TestimonyAccessRequest.id.desc())
                                   .limit(limit)))


def all_grants(limit: int = LISTED) -> list[AccessGrant]:
    """Grants, newest first (live, expired and revoked; the state is judged when shown)."""
    return list(db.session.scalars(select(AccessGrant).order_by(AccessGrant.granted_at.desc(), AccessGrant.id.desc())
                                   .limit(limit)))


def grants_for(request: TestimonyAccessRequest) -> list[AccessGrant]:
    """The grant given in answer to this request (a list: none or one)."""
    return list(db.session.scalars(select(AccessGrant).where(AccessGrant.request_id == request.id)))


def get_request(request_id: int) -> TestimonyAccessRequest | None:
    return db.session.get(TestimonyAccessRequest, request_id)


def get_grant(grant_id: int) -> AccessGrant | None:
    return db.session.get(AccessGrant, grant_id)


def _claim(request: TestimonyAccessRequest, state: str, actor: Any, reason: str = "") -> datetime:
    """Move the request from pending to `state` in one UPDATE; refuse when someone decided it first."""
    now = utcnow()
    claimed = db.session.execute(
        update(TestimonyAccessRequest)
        .where(TestimonyAccessRequest.id == request.id, TestimonyAccessRequest.state == "pending")
        .values(state=state, decided_at=now, decided_by_id=getattr(actor, "id", None), refusal_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ValidationError(_("This request was already answered (see below). Nothing was changed."))
    return now


def _days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(_("Enter a whole number of days from 1 to %(max)s.", max=MAX_DAYS), "days")
    return days


def grant_request(request: TestimonyAccessRequest, days: Any = DEFAULT_DAYS, actor: Any = None) -> AccessGrant:
    """Let the researcher open the testimony for `days` days (1 to MAX_DAYS) and record it."""
    actor = actor if actor is not None else audit.current_actor()
    length = _days(days)
    if request.state != "pending":
        raise ValidationError(_("This request was already answered (see below). Nothing was changed."))
    reason = obstacle(request)
    if reason is not None:
        raise ValidationError(_("This request cannot be granted: %(why)s Refuse it instead.", why=obstacle_text(reason)))
    now = _claim(request, "granted", actor)
    testimony: Testimony = request.testimony  # type: ignore[assignment]  (obstacle() checked it exists)
    grant = AccessGrant(user_id=request.user_id, testimony_id=testimony.id, request_id=request.id, granted_at=now,
                        granted_by_id=getattr(actor, "id", None), expires_at=now + timedelta(days=length))
    db.session.add(grant)
    db.session.flush()
    audit.record("access.grant", grant, {"request_id": request.id, "user_id": request.user_id,
                                         "testimony_id": testimony.id, "days": length,
                                         "expires_at": grant.expires_at.isoformat(timespec="seconds")}, actor=actor)
    db.session.commit()
    db.session.refresh(request)
    return grant


def refuse_request(request: TestimonyAccessRequest, reason: str, actor: Any = None) -> TestimonyAccessRequest:
    """Refuse a pending request; the reason (required) is shown to the researcher."""
    actor = actor if actor is not None else audit.current_actor()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Write the reason the researcher will read."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_("Enter at most %(max)s characters.", max=REASON_MAX), "reason")
    if request.state != "pending":
        raise ValidationError(_("This request was already answered (see below). Nothing was changed."))
    _claim(request, "refused", actor, reason)
    audit.record("access.refuse", request, {"user_id": request.user_id, "testimony_id": request.testimony_id,
                                            "reason": reason}, actor=actor)
    db.session.commit()
    db.session.refresh(request)
    return request


def revoke_grant(grant: AccessGrant, actor: Any = None) -> AccessGrant:
    """End a grant now (an expired one too, so the record says it was ended); revoking twice is refused."""
    actor = actor if actor is not None else audit.current_actor()
    now = utcnow()
    ended = db.session.execute(
        update(AccessGrant).where(AccessGrant.id == grant.id, AccessGrant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)).rowcount
    if ended != 1:
        db.session.rollback()
        raise ValidationError(_("This grant was already revoked. Nothing was changed."))
    audit.record("access.revoke", grant, {"user_id": grant.user_id, "testimony_id": grant.testimony_id,
                                          "was": grant.state(now)}, actor=actor)
    db.session.commit()
    db.session.refresh(grant)
    return grant


def obstacle_text(reason: str | None) -> str:
    """An obstacle said in words, for curators only."""
    return {
        MISSING: _("no testimony has this reference (or it was deleted)."),
        DRAFT: _("the testimony is a draft."),
        WITHDRAWN: _("the narrator withdrew consent."),
        EMBARGOED: _("the testimony is under embargo."),
        PUBLIC: _("the testimony is public already."),
        ALREADY: _("this approved researcher can already see it."),
    }.get(reason or "", "")
