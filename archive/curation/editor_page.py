"""The testimony editor's page: its sections and forms, filled from the vocabularies, and how a refused or
saved section is shown (used by the curator's views in archive/curation/views.py)."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from archive.core.errors import ConflictError, ValidationError
from archive.core.extensions import db
from archive.core.i18n import label, number, other_locale
from archive.core.vocabulary import all_topics, categories, places_of_kind
from archive.curation import forms, narrators, testimonies
from archive.interop.forms import OhmsImportForm
from archive.models import Narrator, Testimony
from archive.policy import access

PLACE_GROUPS = {"city": _l("Cities and counties"), "province": _l("Provinces"), "camp": _l("Prison camps")}
_PASSAGE_KEY = re.compile(r"^transcript\[(\d+)\](?:\.(\w+))?$")
PASSAGE_FIELDS = {"start": _l("start"), "end": _l("end"), "text": _l("text"), "speaker": _l("speaker"),
                  "language": _l("language")}
# Section of the edit page -> (form prefix, heading) ; the prefixes keep ids unique on one page.
SECTIONS = {
    "publication": ("pub", _l("Publication")), "metadata": ("meta", _l("Details")),
    "route": ("route", _l("Escape route")), "tags": ("tags", _l("Topics")), "recording": ("rec", _l("Recording")),
    "transcript": ("tr", _l("Transcript")), "chapters": ("ch", _l("Chapters")),
    "ohms": ("ohms", _l("Import OHMS index")),
}


def format_bytes(count: int) -> str:
    """A byte count for people (2.0 MiB)."""
    for power, unit in ((3, "GiB"), (2, "MiB"), (1, "KiB")):
        if count >= 1024 ** power:
            return f"{number(count / 1024 ** power, 1)} {unit}"
    return _("%(count)s bytes", count=number(count))


def fresh_form(cls: type[FlaskForm], prefix: str, data: dict[str, Any]) -> Any:
    """A form filled from the database, ignoring whatever this request posted."""
    return cls(formdata=None, prefix=prefix, data=data)


def narrator_choices() -> list[SelectChoice]:
    rows = db.session.scalars(select(Narrator).order_by(Narrator.pseudonym, Narrator.id))
    return forms.options([("", _("— choose a narrator —"))] + [(str(n.id), f"{n.pseudonym} (#{n.id})") for n in rows])


def both_languages(term: Any, pattern: str = "{} ({})") -> str:
    """A vocabulary term in the interface language, then in the other one when it differs."""
    first, second = label(term), label(term, other_locale())
    return pattern.format(first, second) if second and second != first else first


def place_label(place: Any) -> str:
    return both_languages(place)


def province_of(place: Any) -> dict[str, str]:
    """The province a home place lies in, for the narrator form's filter (static/js/editor.js)."""
    province = place if place.kind == "province" else place.parent
    while province is not None and province.kind != "province":
        province = province.parent
    return {"data-province": province.slug if province is not None else ""}


def category_choices(scheme: str, keep: set[str]) -> list[SelectChoice]:
    return forms.select_choices(categories(scheme, keep=keep), both_languages)


def chosen(data: Any) -> set[str]:
    """Every text value of a form's (nested) data: the terms it already holds stay offered even when retired."""
    if isinstance(data, dict):
        return set().union(*(chosen(v) for v in data.values())) if data else set()
    if isinstance(data, list | tuple):
        return set().union(*(chosen(v) for v in data)) if data else set()
    return {data} if isinstance(data, str) and data else set()


def with_choices(form: Any) -> Any:
    """Fill the select options each form needs from the vocabularies (retired terms only where already chosen)."""
    keep = chosen(form.data)
    if isinstance(form, forms.NarratorForm):
        form.set_choices(forms.select_choices(places_of_kind("province", keep=keep), place_label),
                         forms.select_choices(sorted(places_of_kind("city", "province", "camp", keep=keep),
                                                     key=lambda p: (str(PLACE_GROUPS[p.kind]), p.name_en)),
                                              place_label, lambda p: str(PLACE_GROUPS[p.kind]), province_of),
                         category_choices("occupation", keep), category_choices("education", keep),
                         category_choices("residence", keep))
    elif isinstance(form, forms.TestimonyFieldsForm):
        form.narrator.choices = narrator_choices()
    elif isinstance(form, forms.RouteForm):
        form.set_choices(forms.select_choices(places_of_kind("country", keep=keep), place_label))
    elif isinstance(form, forms.TagsForm):
        form.tags.choices = forms.options((t.slug, both_languages(t, "{} · {}")) for t in all_topics(keep=keep))
    return form


def edit_page(t: Testimony, status: int = 200, failed: str | None = None, conflict: ConflictError | None = None,
               problems: list[str] | None = None, **submitted: Any) -> tuple[str, int]:
    """Render the testimony editor; `submitted` forms (keyed by section) keep the curator's input."""
    v = {"version": t.version}
    fresh = {
        "metadata": lambda: fresh_form(forms.MetadataForm, "meta", forms.testimony_data(t)),
        "route": lambda: fresh_form(forms.RouteForm, "route", forms.route_data(t)),
        "tags": lambda: fresh_form(forms.TagsForm, "tags", {**v, "tags": [topic.slug for topic in t.topics]}),
        "recording": lambda: fresh_form(forms.RecordingForm, "rec", v),
        "remove_recording": lambda: fresh_form(forms.VersionForm, "recdel", v),
        "transcript": lambda: fresh_form(forms.TranscriptForm, "tr", v),
        "chapters": lambda: fresh_form(forms.ChaptersForm, "ch", forms.chapters_data(t)),
        "ohms": lambda: fresh_form(OhmsImportForm, "ohms", v),
        "publish": lambda: fresh_form(forms.VersionForm, "pub", v),
        "unpublish": lambda: fresh_form(forms.VersionForm, "unpub", v),
    }
    built = {name: with_choices(submitted[name] if name in submitted else make()) for name, make in fresh.items()}
    failed_form = next(iter(submitted.values()), None)  # the refused form: its problems lead the page
    return render_template(
        "curation/edit_testimony.html", t=t, forms=built, failed=failed, failed_heading=SECTIONS.get(
            failed or "", ("", ""))[1], failed_form=failed_form, conflict=conflict, transcript_problems=problems or [],
        visibility=access.testimony_visibility(t), today=access.today(),
        upload_limit=format_bytes(current_app.config["MAX_UPLOAD_BYTES"]), format_bytes=format_bytes,
    ), status


def refused(t: Testimony, section: str, form: Any, error: ConflictError | ValidationError,
             rows: list[Any] | None = None, what: str = "", form_key: str | None = None,
             rename: dict[str, str] | None = None) -> tuple[str, int]:
    """Re-render after a service refused a section's save: 409 for a conflict, 400 for invalid input."""
    db.session.rollback()
    if isinstance(error, ConflictError):
        return edit_page(t, 409, section, conflict=error, **{form_key or section: form})
    if rows is not None:
        forms.add_row_errors(form, error.errors, rows, what)
    else:
        forms.add_errors(form, error.errors, rename)
    return edit_page(t, 400, section, **{form_key or section: form})


def saved(t: Testimony, message: str, anchor: str) -> Response:
    flash(message, "info")
    return redirect(url_for("curator.edit_testimony", testimony_id=t.id, _anchor=anchor))


def narrator_field(form: forms.TestimonyFieldsForm) -> Narrator | None:
    """The chosen narrator, or an error on the field."""
    value = form.narrator.data or ""
    narrator = db.session.get(Narrator, int(value)) if value.isascii() and value.isdigit() and len(value) < 10 else None
    if narrator is None:
        forms.required(form.narrator)
    return narrator


def checked_testimony_form(form: forms.TestimonyFieldsForm, testimony_id: int | None) -> Narrator | None:
    """Check every field of a testimony form at once (the form's, the narrator, the external identifier and the
    service's rules) so each problem shows together; the chosen narrator when there is none."""
    ok = form.validate()
    narrator = narrator_field(form)
    taken = external_id_taken(form, testimony_id)
    try:
        testimonies.testimony_values(form.values(), defaults=testimony_id is None)
    except ValidationError as error:
        forms.add_errors(form, error.errors, only_new=True)
        ok = False
    return narrator if ok and not taken else None


def checked_narrator_form(form: forms.NarratorForm) -> bool:
    """The narrator form's own checks and the service's rules together, so every problem shows at once."""
    if form.validate():
        return True
    try:
        narrators.narrator_values(form.values())
    except ValidationError as error:
        forms.add_errors(form, error.errors, only_new=True)
    return False


def checked_rows(form: Any, rows: list[Any], values: list[dict[str, Any]], validate: Any, what: str) -> None:
    """A list form the form's checks refused: add the service's problems of every row too (all rows at once)."""
    try:
        validate(values)
    except ValidationError as error:
        forms.add_row_errors(form, error.errors, rows, what, only_new=True)


def external_id_taken(form: forms.TestimonyFieldsForm, testimony_id: int | None) -> bool:
    """Refuse an external identifier another testimony has (the unique constraint would fail at commit).

    A stopgap: services.testimonies should raise this ValidationError itself.
    """
    value = (form.external_id.data or "").strip()
    other = db.session.scalar(select(Testimony.id).where(Testimony.external_id == value,
                                                         Testimony.id != (testimony_id or 0))) if value else None
    if other is not None:
        form.external_id.errors = [*form.external_id.errors, _("%(value)s is already used by testimony #%(id)s",
                                                                 value=repr(value), id=other)]
    return other is not None


def passage_problem(key: str, message: str) -> str:
    """A service error keyed like "transcript[3].end" as "Passage 3 end: message"."""
    match = _PASSAGE_KEY.match(key)
    if match is None:
        return f"{key}: {message}"
    number, field = match.groups()
    if field is None:
        return _("Passage %(number)s: %(problem)s", number=number, problem=message)
    return _("Passage %(number)s %(field)s: %(problem)s", number=number, field=PASSAGE_FIELDS.get(field, field),
             problem=message)
