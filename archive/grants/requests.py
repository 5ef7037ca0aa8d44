"""A researcher's side: asking for access to one testimony, and their own requests and grants.

The answer to a request never says whether the testimony exists or may be granted: the researcher names it
by the reference they know (its number, its permanent link or its external id) and is always told the same
thing. Only curators see what the reference named (`archive.grants.decisions`).
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from archive.core import audit
from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.models import AccessGrant, Testimony, TestimonyAccessRequest, User
from archive.policy import access

REFERENCE_MAX = 200
PURPOSE_MAX = 2000
# Requests a researcher may have waiting at once (a curator answers each one).
MAX_PENDING = 20
_NUMBER = re.compile(r"#?\s*(\d{1,10})")
_PERMALINK = re.compile(r"/testimonies/(\d{1,10})(?:[/?#].*)?$")
_LARGEST_ID = 2**31 - 1  # an integer column on PostgreSQL


def may_ask(user: Any) -> bool:
    """Researcher accounts, approved or not, may ask for access to a testimony."""
    return access.may_hold_grants(user)


def resolve_reference(reference: str) -> Testimony | None:
    """The testimony a reference names: a number ("12", "#12"), a permanent link, or an external id."""
    text = (reference or "").strip()
    if not text:
        return None
    match = _NUMBER.fullmatch(text) or _PERMALINK.search(text)
    if match:
        number = int(match.group(1))
        return db.session.get(Testimony, number) if number <= _LARGEST_ID else None
    return db.session.scalar(select(Testimony).where(func.lower(Testimony.external_id) == text.casefold()))


def normalise_reference(reference: str) -> str:
    """The reference as stored: trimmed, inner whitespace collapsed."""
    return " ".join((reference or "").split())


def ask_for_access(user: User, reference: str, purpose: str) -> TestimonyAccessRequest:
    """Record a researcher's request for one testimony; the same answer whatever the reference names.

    A second pending request for the same reference is not recorded twice (the first is returned).
    """
    if not may_ask(user):
        raise ValidationError(_("Only researcher accounts can ask for access to a testimony."))
    reference, purpose = normalise_reference(reference), (purpose or "").strip()
    errors: dict[str, list[str]] = {}
    if not reference:
        errors["reference"] = [_("Enter the testimony's number, permanent link or reference.")]
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = [_("Enter at most %(max)s characters.", max=REFERENCE_MAX)]
    if not purpose:
        errors["purpose"] = [_("Say what you need the testimony for.")]
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = [_("Enter at most %(max)s characters.", max=PURPOSE_MAX)]
    if errors:
        raise ValidationError(errors)
    pending = list(db.session.scalars(select(TestimonyAccessRequest).where(
        TestimonyAccessRequest.user_id == user.id, TestimonyAccessRequest.state == "pending")))
    for earlier in pending:
        if earlier.reference.casefold() == reference.casefold():
            return earlier
    if len(pending) >= MAX_PENDING:
        raise ValidationError(_("You have %(count)s requests waiting for a curator. Wait for their answers before "
                                "asking for more.", count=len(pending)))
    testimony = resolve_reference(reference)
    request = TestimonyAccessRequest(user_id=user.id, reference=reference, purpose=purpose,
                                     testimony_id=testimony.id if testimony is not None else None, state="pending")
    db.session.add(request)
    db.session.flush()
    audit.record("access.request", request, {"reference": reference,
                                             "testimony_id": testimony.id if testimony is not None else None},
                 actor=user)
    db.session.commit()
    return request


def requests_of(user: User) -> list[TestimonyAccessRequest]:
    """The researcher's own requests, newest first."""
    return list(db.session.scalars(select(TestimonyAccessRequest).where(TestimonyAccessRequest.user_id == user.id)
                                   .order_by(TestimonyAccessRequest.created_at.desc(),
                                             TestimonyAccessRequest.id.desc())))


def grants_of(user: User) -> list[AccessGrant]:
    """The researcher's own grants, newest first (live, expired and revoked)."""
    return list(db.session.scalars(select(AccessGrant).where(AccessGrant.user_id == user.id)
                                   .order_by(AccessGrant.granted_at.desc(), AccessGrant.id.desc())))
