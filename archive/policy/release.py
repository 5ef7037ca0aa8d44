"""Release: which audience outside staff a status and access level show a testimony to, and whether a
change widens it (the details form may never widen it: only the publication checklist does)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from archive.models import Testimony

AUDIENCES = ("public", "researchers")
# How far each release reaches: public is wider than researchers, both wider than none.
RANK = {None: 0, "researchers": 1, "public": 2}


def released_to(status: str | None, access_level: str | None) -> str | None:
    """The audience outside staff that a status and access level release a testimony to, or None."""
    if status == "published" and access_level in AUDIENCES:
        return access_level
    return None


def widened_audience(t: Testimony, values: dict[str, Any]) -> str | None:
    """The wider audience a change of status or access would release the testimony to, or None."""
    before = released_to(t.status, t.access)
    after = released_to(values.get("status", t.status), values.get("access", t.access))
    return after if RANK[after] > RANK[before] else None


def widening_message(audience: str) -> str:
    """Why the details form may not do this, and where to go instead."""
    who = _("everyone") if audience == "public" else _("approved researchers")
    return _("would show the testimony to %(who)s: publish it through the publication checklist (the link "
             "under Publication), which checks sensitive terms and the narrator's profile first. Nothing was "
             "saved.", who=who)
