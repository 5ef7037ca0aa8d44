"""Curator forms: the shape of input only; the services decide what is valid."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from archive.models import GENDERS, LANGUAGES, ROUTE_EVENTS
from archive.sanitize import ALLOWED_TAGS

Choices = list[SelectChoice]
NOT_RECORDED = SelectChoice("", "— not recorded —")
_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:[.,]\d{1,3})?)$")
TIME_HINT = "Seconds (e.g. 83.5) or minutes:seconds / hours:minutes:seconds (e.g. 1:23 or 1:02:03)."


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; templates render it inside a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def version_field() -> IntegerField:
    """The hidden version an edit form was rendered with (optimistic locking)."""
    return IntegerField(
        "Version", widget=HiddenInput(),
        validators=[InputRequired(message="the form is missing its version number; reload the page and try again"),
                    NumberRange(min=1, max=2**31 - 1, message="the form's version number is not valid; reload the page")],
    )


def to_seconds(value: str | None) -> float | str | None:
    """Read seconds or a H:MM:SS / M:SS clock; anything else is passed on for the service to report."""
    text = (value or "").strip()
    if not text:
        return None
    match = _CLOCK.match(text)
    if match:
        hours, minutes, secs = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(secs.replace(",", "."))
    try:
        return float(text)
    except ValueError:
        return text


def clock(seconds: float | None) -> str:
    """Show seconds as H:MM:SS(.mmm) in an editable field."""
    if seconds is None:
        return ""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{text}.{millis:03d}" if millis else text


def options(pairs: Iterable[tuple[str, str]]) -> Choices:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_choice(choices: Iterable[SelectChoice]) -> Choices:
    """Put a 'not recorded' option first."""
    return [NOT_RECORDED, *choices]


# ---------------------------------------------------------------- narrators

class NarratorForm(FlaskForm):
    """Every narrator field; vocabulary choices are filled in by the view."""

    pseudonym = StringField("Pseudonym", validators=[Length(max=120)],
                            description="Shown publicly instead of the narrator's name.")
    real_name = StringField("Real name (curators only)", validators=[Length(max=200)],
                            description="Never shown on any public page, export or search result. "
                                        "Leave empty unless the archive must keep it.")
    public_name = StringField("Public name", validators=[Length(max=200)],
                              description="Shown only on testimonies where the narrator consented to be named.")
    gender = SelectField("Gender", choices=options((g, g.capitalize()) for g in GENDERS), default="unspecified",
                         validate_choice=False)
    birth_year = StringField("Birth year", description="Four digits, e.g. 1975.")
    origin_province = SelectField("Home province", validate_choice=False)
    origin_place = SelectField("Home town, county or camp", validate_choice=False)
    occupation = SelectField("Occupation in the North", validate_choice=False)
    education = SelectField("Education", validate_choice=False)
    residence_region = SelectField("Residence in the South", validate_choice=False)
    left_north_year = StringField("Year left the North")
    arrived_south_year = StringField("Year arrived in the South")
    curator_notes = TextAreaField("Curator notes", validators=[Length(max=20000)],
                                  description="Internal notes; never shown publicly.")
    # The narrator's last-saved time when the form was rendered: a later save by someone else is refused.
    loaded = StringField("Loaded", widget=HiddenInput())

    def set_choices(self, provinces: Choices, places: Choices, occupations: Choices, educations: Choices,
                    residences: Choices) -> NarratorForm:
        """Fill the vocabulary selects (slug, label) in the given order."""
        self.origin_province.choices = optional_choice(provinces)
        self.origin_place.choices = optional_choice(places)
        self.occupation.choices = optional_choice(occupations)
        self.education.choices = optional_choice(educations)
        self.residence_region.choices = optional_choice(residences)
        return self

    def values(self) -> dict[str, Any]:
        """The raw values for services.narrators."""
        return {name: self[name].data for name in (
            "pseudonym", "real_name", "public_name", "gender", "birth_year", "origin_province", "origin_place",
            "occupation", "education", "residence_region", "left_north_year", "arrived_south_year",
            "curator_notes")}


def narrator_data(narrator: Any) -> dict[str, Any]:
    """Form data for an existing narrator (vocabulary terms by slug)."""
    def slug(term: Any) -> str:
        return term.slug if term is not None else ""

    def year(value: int | None) -> str:
        return "" if value is None else str(value)

    return {
        "pseudonym": narrator.pseudonym, "real_name": narrator.real_name or "",
        "public_name": narrator.public_name or "", "gender": narrator.gender,
        "birth_year": year(narrator.birth_year), "origin_province": slug(narrator.origin_province),
        "origin_place": slug(narrator.origin_place), "occupation": slug(narrator.occupation),
        "education": slug(narrator.education), "residence_region": slug(narrator.residence_region),
        "left_north_year": year(narrator.left_north_year), "arrived_south_year": year(narrator.arrived_south_year),
        "curator_notes": narrator.curator_notes or "",
        "loaded": narrator.updated_at.isoformat() if narrator.updated_at else "",
    }


# ---------------------------------------------------------------- testimonies

SUMMARY_HINT = ("Limited HTML is allowed: " + ", ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))
                + ". Links may use http, https or mailto. Everything else is removed when shown.")
TESTIMONY_FIELDS = (
    "title", "external_id", "languages", "interview_date", "interviewer", "interview_place", "summary",
    "consent_audio", "consent_transcript", "consent_name", "consent_face_voice", "consent_notes", "embargo_until",
    "access", "fictional", "featured",
)


class TestimonyFieldsForm(FlaskForm):
    """The descriptive fields shared by the create form and the metadata section."""

    narrator = SelectField("Narrator", validate_choice=False)
    title = StringField("Title", validators=[Length(max=300)])
    external_id = StringField("External identifier", validators=[Length(max=120)],
                              description="Optional catalogue number from another collection.")
    languages = MultiCheckboxField("Languages of the interview", choices=options(LANGUAGES.items()),
                                   validate_choice=False)
    interview_date = StringField("Interview date", description="YYYY, YYYY-MM or YYYY-MM-DD.")
    interviewer = StringField("Interviewer", validators=[Length(max=200)])
    interview_place = StringField("Interview place", validators=[Length(max=200)])
    summary = TextAreaField("Summary", description=SUMMARY_HINT)
    consent_audio = BooleanField("The narrator consented to publishing the audio")
    consent_transcript = BooleanField("The narrator consented to publishing the transcript")
    consent_name = BooleanField("The narrator consented to being named (public name)")
    consent_face_voice = BooleanField("The narrator consented to showing face and voice unaltered")
    consent_notes = TextAreaField("Consent notes", description="Internal; never shown publicly.")
    embargo_until = StringField("Embargo until", description="YYYY-MM-DD; hidden from everyone but curators until then.")
    access = SelectField("Access level", choices=options([
        ("restricted", "Restricted: curators only"),
        ("researchers", "Researchers: approved researchers and curators"),
        ("public", "Public: everyone, once published"),
    ]), default="restricted", validate_choice=False)
    fictional = BooleanField("Fictional demonstration testimony")
    featured = BooleanField("Feature on the home page")

    def values(self) -> dict[str, Any]:
        """The raw values for services.testimonies (narrator resolved by the view)."""
        data = {name: self[name].data for name in TESTIMONY_FIELDS}
        data["languages"] = list(self.languages.data or [])
        return data


class NewTestimonyForm(TestimonyFieldsForm):
    """Create a testimony; publishing is a separate step on the edit page."""


class MetadataForm(TestimonyFieldsForm):
    """Edit a testimony's descriptive fields."""

    version = version_field()


def testimony_data(testimony: Any) -> dict[str, Any]:
    """Form data for the metadata section."""
    data = {name: getattr(testimony, name) for name in TESTIMONY_FIELDS}
    data["languages"] = testimony.languages
    data["embargo_until"] = testimony.embargo_until.isoformat() if testimony.embargo_until else ""
    data["narrator"] = str(testimony.narrator_id)
    data["version"] = testimony.version
    for name in ("external_id", "interview_date"):
        data[name] = data[name] or ""
    return data


# ---------------------------------------------------------------- route, tags, chapters

class RouteLegForm(Form):
    """One stop of the escape route."""

    position = IntegerField("Order", validators=[Optional()])
    country = SelectField("Country", validate_choice=False)
    place = StringField("Place", validators=[Length(max=200)])
    year = StringField("Year")
    event = SelectField("What happened", choices=options((e, e.capitalize()) for e in ROUTE_EVENTS), default="transit",
                        validate_choice=False)
    remove = BooleanField("Remove this stop")

    def is_blank(self) -> bool:
        """A row the curator left empty (the spare row)."""
        return not (self.country.data or (self.place.data or "").strip() or (self.year.data or "").strip())


class RouteForm(FlaskForm):
    """The whole escape route as numbered rows plus a spare empty one."""

    version = version_field()
    legs = FieldList(FormField(RouteLegForm), min_entries=0)

    def set_choices(self, countries: Choices) -> RouteForm:
        for entry in self.legs:
            entry.form.country.choices = [SelectChoice("", "— choose a country —"), *countries]
        return self

    def kept_rows(self) -> list[Any]:
        """Rows to save, ordered by their order number (rows without one keep their place)."""
        rows = [(entry.form.position.data if entry.form.position.data is not None else index + 1, index, entry)
                for index, entry in enumerate(self.legs)
                if not entry.form.remove.data and not entry.form.is_blank()]
        return [entry for _, _, entry in sorted(rows, key=lambda row: (row[0], row[1]))]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.kept_rows() if ok else []:
            if not entry.form.country.data:
                entry.form.country.errors = [*entry.form.country.errors, "choose the country of this stop"]
                ok = False
        return ok


def route_data(testimony: Any, spare_rows: int = 1) -> dict[str, Any]:
    """Form data for the route section, with empty rows to add stops."""
    legs = [{"position": leg.position, "country": leg.country.slug, "place": leg.place,
             "year": "" if leg.year is None else str(leg.year), "event": leg.event} for leg in testimony.route]
    legs += [{"position": None, "country": "", "place": "", "year": "", "event": "transit"}] * spare_rows
    return {"version": testimony.version, "legs": legs}


class TagsForm(FlaskForm):
    """Topics from the controlled vocabulary."""

    version = version_field()
    tags = MultiCheckboxField("Topics", validate_choice=False)


class ChapterRowForm(Form):
    """One chapter (index point) of the recording."""

    start = StringField("Starts at", description=TIME_HINT)
    title = StringField("Chapter title", validators=[Length(max=300)])
    synopsis = TextAreaField("Synopsis", validators=[Length(max=5000)])
    keywords = StringField("Keywords", description="Separate keywords with commas.")
    remove = BooleanField("Remove this chapter")

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.start, self.title, self.synopsis, self.keywords))


class ChaptersForm(FlaskForm):
    """The chapter list; chapters are shown in order of their start time."""

    version = version_field()
    chapters = FieldList(FormField(ChapterRowForm), min_entries=0)

    def kept_rows(self) -> list[Any]:
        """Rows to save: neither removed nor left empty."""
        return [entry for entry in self.chapters if not entry.form.remove.data and not entry.form.is_blank()]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.kept_rows() if ok else []:
            if not (entry.form.start.data or "").strip():
                entry.form.start.errors = [*entry.form.start.errors, "is required (when the chapter starts)"]
                ok = False
        return ok


def chapters_data(testimony: Any, spare_rows: int = 1) -> dict[str, Any]:
    rows = [{"start": clock(ch.start), "title": ch.title, "synopsis": ch.synopsis, "keywords": ch.keywords}
            for ch in testimony.chapters]
    rows += [{"start": "", "title": "", "synopsis": "", "keywords": ""}] * spare_rows
    return {"version": testimony.version, "chapters": rows}


# ---------------------------------------------------------------- media and transcript

class RecordingForm(FlaskForm):
    """Upload (or replace) the recording; the service identifies the file by its content."""

    version = version_field()
    file = FileField("Recording file", validators=[FileRequired(message="choose an audio or video file")])


class VersionForm(FlaskForm):
    """A button that changes state (publish, unpublish, remove recording)."""

    version = version_field()


TRANSCRIPT_FORMATS = options([("auto", "Detect automatically"), ("vtt", "WebVTT (.vtt)"), ("srt", "SubRip (.srt)"),
                              ("txt", "Timestamped text ([00:01:23] Speaker: text)")])


class TranscriptForm(FlaskForm):
    """Import a transcript from a file or pasted text; it replaces every segment."""

    version = version_field()
    file = FileField("Transcript file")
    text = TextAreaField("Or paste the transcript")
    format = SelectField("Format", choices=TRANSCRIPT_FORMATS, default="auto")
    confirm = BooleanField("I understand that the import replaces all existing transcript segments")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.file.data and not (self.text.data or "").strip():
            self.file.errors = [*self.file.errors, "choose a transcript file or paste the transcript below"]
            ok = False
        return ok


class SegmentForm(FlaskForm):
    """Edit one transcript passage."""

    version = version_field()
    start = StringField("Start", description=TIME_HINT)
    end = StringField("End", description=TIME_HINT)
    speaker = StringField("Speaker", validators=[Length(max=120)])
    text = TextAreaField("Text")
    language = SelectField("Language", choices=options([("", "— same as the interview —"), *LANGUAGES.items()]),
                           validate_choice=False)
    restricted = BooleanField("Restricted: never shown outside the curator pages")

    def values(self) -> dict[str, Any]:
        return {"start": to_seconds(self.start.data), "end": to_seconds(self.end.data), "speaker": self.speaker.data,
                "text": self.text.data, "language": self.language.data, "restricted": self.restricted.data}


def segment_data(segment: Any, version: int) -> dict[str, Any]:
    return {"version": version, "start": clock(segment.start), "end": clock(segment.end), "speaker": segment.speaker,
            "text": segment.text, "language": segment.language, "restricted": segment.restricted}


# ---------------------------------------------------------------- confirmations

class WithdrawForm(FlaskForm):
    """Record that the narrator withdrew consent."""

    version = version_field()
    confirm = BooleanField("The narrator has withdrawn consent: remove this testimony from every public surface",
                           validators=[DataRequired(message="tick the box to confirm the withdrawal")])


class DeleteForm(FlaskForm):
    """Delete a testimony for good."""

    version = version_field()
    confirm = BooleanField("Delete this testimony, its transcript, chapters, route and recording permanently",
                           validators=[DataRequired(message="tick the box to confirm the deletion")])


def select_choices(items: Sequence[Any], label: Any, group: Any = None) -> Choices:
    """Options for vocabulary rows, valued by slug (optionally grouped, e.g. by kind of place)."""
    return [SelectChoice(item.slug, label(item), optgroup=group(item) if group else None) for item in items]


# ---------------------------------------------------------------- service errors onto fields

_ROW_KEY = re.compile(r"^\w+\[(\d+)\](?:\.(\w+))?$")


def add_errors(form: FlaskForm, errors: dict[str, list[str]], rename: dict[str, str] | None = None) -> None:
    """Put a service's {field: messages} on the named fields; the rest become form-level errors."""
    for key, messages in errors.items():
        name = (rename or {}).get(key, key)
        field = form._fields.get(name)
        if field is not None and not isinstance(field.widget, HiddenInput):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages if key == "__all__" else [f"{key}: {m}" for m in messages])


def add_row_errors(form: FlaskForm, errors: dict[str, list[str]], rows: Sequence[Any], what: str) -> None:
    """Put errors keyed like "route[2].year" on the field of the second row that was sent to the service."""
    for key, messages in errors.items():
        match = _ROW_KEY.match(key)
        field = None
        if match and 1 <= int(match.group(1)) <= len(rows) and match.group(2):
            field = rows[int(match.group(1)) - 1].form._fields.get(match.group(2))
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            label = f"{what} {match.group(1)}" if match else key
            form.form_errors.extend(f"{label}: {m}" for m in messages)
