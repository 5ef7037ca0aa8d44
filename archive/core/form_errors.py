"""Form errors said for people: each message a whole sentence with the field's name ("Enter a pseudonym",
"Enter the start as hh:mm:ss"), and the list the error summary at the top of a form links from."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask_babel import gettext as _
from wtforms import Field, FieldList, FormField
from wtforms.widgets import HiddenInput

from archive.core.fields import Problem
from archive.formats import timecode


class Sentence(str):
    """A message already said for people: shown as it is."""


def _label(field: Field) -> str:
    return str(field.label.text)


def _lower(text: str) -> str:
    """A label inside a sentence ("Birth year" -> "birth year"); Korean has no case and is unchanged."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def sentence(field: Field, message: str, required: Mapping[str, Any] | None = None,
             names: Mapping[str, Any] | None = None) -> Sentence:
    """One message on `field` as a sentence: by its kind when the service said which (core/fields.Problem).

    `required` says what to enter in an empty required field, `names` how a sentence names a field whose label
    reads badly inside one ("Embargo until"), both by field name.
    """
    if isinstance(message, Sentence):
        return message
    name = field.short_name
    code, params = (message.code, message.params) if isinstance(message, Problem) else ("", {})
    label = str((names or {}).get(name) or _lower(_label(field)))
    if code == "required":
        said = (required or {}).get(name)
        return Sentence(str(said) if said else _("Enter the %(field)s", field=label))
    if code == "year":
        return Sentence(_("Enter the %(field)s as a year of four digits, such as 2009", field=label))
    if code == "year_range":
        return Sentence(_("The %(field)s must be between %(low)s and %(high)s", field=label, low=params.get("low"),
                          high=params.get("high")))
    if code == "partial_date":
        return Sentence(_("Enter the %(field)s as YYYY, YYYY-MM or YYYY-MM-DD, such as 2019-05", field=label))
    if code == "calendar":
        return Sentence(_("The %(field)s %(value)s is not a date on the calendar: check the month and the day",
                          field=label, value=params.get("value")))
    if code == "date":
        return Sentence(_("Enter the %(field)s as a date, YYYY-MM-DD, such as 2030-01-31", field=label))
    if code == "time":
        return Sentence(_("Enter the %(field)s as hh:mm:ss, such as 1:02:03 (or as seconds, such as 83.5)",
                          field=label))
    if code == "time_range":
        return Sentence(_("The %(field)s must be at most 100:00:00", field=label))
    if code == "after_start":
        return Sentence(_("The end must be after the start (%(start)s)", start=timecode.clock(params.get("start") or 0)))
    if code == "too_long":
        return Sentence(_("The %(field)s must be %(max)s characters or fewer", field=label, max=params.get("max")))
    text = str(message)
    return Sentence(_("%(field)s: %(problem)s", field=_label(field), problem=text))


def shown(field: Field, message: str) -> str:
    """A message as the field macro shows it: a sentence as it is, anything else after the field's label (the
    forms with an error summary have had theirs said as sentences by then)."""
    if isinstance(message, Sentence):
        return message
    return _("%(field)s: %(problem)s", field=_label(field), problem=str(message))


def fields_of(form: Any) -> Iterator[Field]:
    """Every visible field of a form, rows of lists included, in page order."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from fields_of(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from fields_of(field.form)
        elif not isinstance(field.widget, HiddenInput) and field.type not in ("CSRFTokenField",):
            yield field


def humanize(form: Any) -> Any:
    """Rewrite every field's errors as sentences (idempotent), with the form's `required_messages` and
    `spoken_names` (see sentence)."""
    required, names = getattr(form, "required_messages", None), getattr(form, "spoken_names", None)
    for field in fields_of(form):
        if field.errors:
            field.errors = [sentence(field, message, required, names) for message in field.errors]
    return form


def target_id(field: Field) -> str:
    """The id a summary link focuses: a group of checkboxes or radios by its first box."""
    if field.type in ("MultiCheckboxField", "RadioField"):
        return f"{field.id}-0"
    return field.id


def form_level_errors(form: Any) -> list[str]:
    """Errors not tied to a visible field: the form's own and those of its hidden fields (the version)."""
    messages = [str(m) for m in getattr(form, "form_errors", [])]
    for field in form:
        if isinstance(field.widget, HiddenInput) and field.errors:
            messages += [str(m) for m in field.errors]
    return messages


def error_items(form: Any, rows: Mapping[str, Callable[[int], str]] | None = None) -> list[dict[str, str]]:
    """The summary's entries in page order: {"href": "#field-id" or "", "text": sentence}.

    `rows` (or the form's `row_labels`) names the rows of a list field for the summary ("Stop 2"), by the
    list's name; the form's `required_messages` say what to enter in each required field.
    """
    humanize(form)
    rows = rows if rows is not None else getattr(form, "row_labels", None)
    items = [{"href": "", "text": message} for message in form_level_errors(form)]
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field, start=1):
                prefix = rows[field.short_name](number) if rows and field.short_name in rows else ""
                for inner in fields_of(entry.form) if isinstance(entry, FormField) else [entry]:
                    items += [{"href": f"#{target_id(inner)}", "text": _("%(row)s: %(problem)s", row=prefix,
                                                                          problem=str(m)) if prefix else str(m)}
                              for m in inner.errors]
        elif not isinstance(field.widget, HiddenInput):
            for inner in fields_of_one(field):
                items += [{"href": f"#{target_id(inner)}", "text": str(m)} for m in inner.errors]
    return items


def fields_of_one(field: Field) -> list[Field]:
    return list(fields_of(field.form)) if isinstance(field, FormField) else [field]
