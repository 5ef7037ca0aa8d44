"""Creating and editing narrators, with the disclosure controls of their public profile."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from archive.core.extensions import db
from archive.models import GENDERS, Narrator
from archive.policy import disclosure
from archive.core import audit, saving
from archive.core.errors import ValidationError
from archive.core.fields import Collector, FieldProblem, choice, flag, optional_text, optional_year
from archive.core.vocabulary import find_category, find_place

NARRATOR_FIELDS = (
    "pseudonym", "real_name", "public_name", "gender", "birth_year", "origin_province", "origin_place",
    "occupation", "education", "left_north_year", "arrived_south_year", "residence_region", "curator_notes",
    "consent_detailed_profile", "exact_fields",
)
# How exactly the profile is published: every change gets its own audit entry as well (narrator.disclosure).
DISCLOSURE_FIELDS = {"consent_detailed_profile", "exact_fields"}
# Fields whose values are logged only as "changed": the audit log must not become a copy of real names.
PRIVATE_FIELDS = {"real_name"}
UNKNOWN_TERM = {
    "origin_province": _l("unknown North Korean province %(value)s"),
    "origin_place": _l("unknown North Korean place %(value)s"),
    "occupation": _l("unknown occupation %(value)s"),
    "education": _l("unknown education %(value)s"),
    "residence_region": _l("unknown residence region %(value)s"),
}


def narrator_values(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Validate raw narrator input and resolve vocabulary terms; raise ValidationError listing every problem."""
    c = Collector()
    values: dict[str, Any] = {
        "pseudonym": c.check(f"{prefix}pseudonym", optional_text, data.get("pseudonym"), 120, required=True),
        "real_name": c.check(f"{prefix}real_name", optional_text, data.get("real_name"), 200) or None,
        "public_name": c.check(f"{prefix}public_name", optional_text, data.get("public_name"), 200) or None,
        "gender": c.check(f"{prefix}gender", choice, data.get("gender"), GENDERS, "unspecified"),
        "birth_year": c.check(f"{prefix}birth_year", optional_year, data.get("birth_year"), 1900, 2100),
        "left_north_year": c.check(f"{prefix}left_north_year", optional_year, data.get("left_north_year"), 1945, 2100),
        "arrived_south_year": c.check(f"{prefix}arrived_south_year", optional_year, data.get("arrived_south_year"),
                                      1945, 2100),
        "curator_notes": c.check(f"{prefix}curator_notes", optional_text, data.get("curator_notes"), 20000) or "",
    }
    for field, kinds in (("origin_province", ("province",)), ("origin_place", ("city", "province", "camp"))):
        raw = data.get(field)
        values[field] = None
        if raw not in (None, ""):
            place = find_place(str(raw), kinds)
            if place is None:
                c.add(f"{prefix}{field}", UNKNOWN_TERM[field] % {"value": repr(str(raw)[:60])})
            values[field] = place
    for field, scheme in (("occupation", "occupation"), ("education", "education"), ("residence_region", "residence")):
        raw = data.get(field)
        values[field] = None
        if raw not in (None, ""):
            category = find_category(scheme, str(raw))
            if category is None:
                c.add(f"{prefix}{field}", UNKNOWN_TERM[field] % {"value": repr(str(raw)[:60])})
            values[field] = category
    # The disclosure pair is read when either is given (forms always give both); otherwise left as it is,
    # so an import or a script that does not know about it cannot change it.
    if DISCLOSURE_FIELDS & set(data):
        consent = flag(data.get("consent_detailed_profile"))
        chosen = c.check(f"{prefix}exact_fields", exact_field_names, data.get("exact_fields")) or []
        refused = [f for f in chosen if not consent]
        for name in refused:
            c.add(f"{prefix}exact_fields",
                  _("%(field)s can be shown exactly only when the narrator consented to a detailed public profile",
                    field=disclosure.EXACT_FIELD_LABELS[name]))
        values["consent_detailed_profile"] = consent
        values["exact_fields"] = chosen
    left, arrived, born = values["left_north_year"], values["arrived_south_year"], values["birth_year"]
    if left and arrived and arrived < left:
        c.add(f"{prefix}arrived_south_year",
              _("(%(arrived)s) cannot be before the year the narrator left the North (%(left)s)", arrived=arrived,
                left=left))
    if born and left and left < born:
        c.add(f"{prefix}left_north_year",
              _("(%(left)s) cannot be before the birth year (%(born)s)", left=left, born=born))
    if c.errors:
        raise ValidationError(c.errors)
    return values


def exact_field_names(value: Any) -> list[str]:
    """Parse the fields to show exactly (a list or comma-separated names) in EXACT_FIELDS order."""
    items = value if isinstance(value, (list, tuple, set)) else str(value or "").split(",")
    names = {str(item).strip() for item in items if str(item).strip()}
    unknown = sorted(names - set(disclosure.EXACT_FIELDS))
    if unknown:
        raise FieldProblem(_("unknown field %(value)s (known: %(known)s)", value=repr(unknown[0][:40]),
                             known=", ".join(disclosure.EXACT_FIELDS)))
    return [name for name in disclosure.EXACT_FIELDS if name in names]


def apply_narrator(narrator: Narrator, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Copy validated values onto a narrator and return the changes as {field: [old, new]}."""
    changes: dict[str, list[Any]] = {}
    # Reading a vocabulary relationship loads it; that must not flush the fields set so far on their own
    # (each flush of a versioned row adds one to its version).
    with db.session.no_autoflush:
        for field, new in values.items():
            old = getattr(narrator, field)
            if old != new:
                changes[field] = ["…", "…"] if field in PRIVATE_FIELDS else [_describe(old), _describe(new)]
                setattr(narrator, field, new)
    return changes


def create_narrator(data: dict[str, Any], actor: Any = None) -> Narrator:
    """Create a narrator from raw input."""
    narrator = Narrator()
    changes = apply_narrator(narrator, narrator_values(data))
    db.session.add(narrator)
    db.session.flush()
    audit.record("narrator.create", narrator, {"changes": changes}, actor=actor)
    _record_disclosure(narrator, changes, actor)
    db.session.commit()
    return narrator


def update_narrator(narrator: Narrator, data: dict[str, Any], expected_version: int | None = None,
                    actor: Any = None) -> Narrator:
    """Edit a narrator from a form rendered at `expected_version` (the search outbox picks up each of their
    testimonies); a stale form raises ConflictError and nothing is saved."""
    saving.check_version(narrator, expected_version)
    changes = apply_narrator(narrator, narrator_values(data))
    if changes:
        disclosure = _disclosure_changes(changes)
        saving.save(narrator, "narrator.update", changes, actor,
                    also={"narrator.disclosure": disclosure} if disclosure else None)
    return narrator


def _disclosure_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Consent and exact-field changes, logged on their own as testimonies log consent (testimony.access).

    The narrator's testimonies are queued for the search index by the flush (archive/core/changes.py), so
    their documents, facets and OAI records follow the new profile.
    """
    return {k: v for k, v in changes.items() if k in DISCLOSURE_FIELDS and bool(v[0]) != bool(v[1])
            or k == "exact_fields"}


def _record_disclosure(narrator: Narrator, changes: dict[str, list[Any]], actor: Any) -> None:
    changed = _disclosure_changes(changes)
    if changed:
        audit.record("narrator.disclosure", narrator, {"changes": changed}, actor=actor)


def _describe(value: Any) -> Any:
    """A loggable rendering of a value (vocabulary rows by slug)."""
    return getattr(value, "slug", value)
