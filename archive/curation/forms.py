"""Curator forms: the shape of input only; the services decide what is valid.

(Over 400 lines on purpose: one form class per section of the testimony editor and the narrator form, with
the few helpers they share; each is short, and splitting them would only scatter the editor.)
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import escape
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
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

from archive.core.fields import Problem
from archive.models import GENDERS, LANGUAGES, ROUTE_EVENTS
from archive.formats import timecode
from archive.formats.sanitize import ALLOWED_TAGS

Choices = list[SelectChoice]
NOT_RECORDED = SelectChoice("", _l("— not recorded —"))
TIME_HINT = _l("Seconds (e.g. 83.5) or minutes:seconds / hours:minutes:seconds (e.g. 1:23 or 1:02:03).")
# Labels for the fixed values stored in English in the database.
GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "unspecified": _l("Unspecified")}
EVENT_LABELS = {"transit": _l("Transit"), "worked": _l("Worked"), "hid": _l("Hid"), "arrested": _l("Arrested"),
                "repatriated": _l("Repatriated"), "arrived": _l("Arrived")}
LANGUAGE_LABELS = {"ko": _l("Korean"), "en": _l("English"), "zh": _l("Chinese"), "ru": _l("Russian"),
                   "ja": _l("Japanese")}


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; templates render it inside a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def version_field() -> IntegerField:
    """The hidden version an edit form was rendered with (optimistic locking)."""
    return IntegerField(
        _l("Version"), widget=HiddenInput(),
        validators=[InputRequired(message=_l("the form is missing its version number; reload the page and try again")),
                    NumberRange(min=1, max=2**31 - 1,
                                message=_l("the form's version number is not valid; reload the page"))],
    )


def required(field: Any) -> None:
    """Mark a field as left empty; the form's `required_messages` say what to enter (core/form_errors.py)."""
    field.errors = [*field.errors, Problem(_("is required"), "required")]


def options(pairs: Iterable[tuple[str, str]]) -> Choices:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_choice(choices: Iterable[SelectChoice]) -> Choices:
    """Put a 'not recorded' option first."""
    return [NOT_RECORDED, *choices]


# ---------------------------------------------------------------- narrators

# The profile fields a curator may show exactly (archive/policy/disclosure.py EXACT_FIELDS), for people.
EXACT_FIELD_CHOICES = [("birth_year", _l("Exact birth year")), ("home_place", _l("Home town")),
                       ("left_north_year", _l("Exact year left")), ("arrived_south_year", _l("Exact year arrived"))]


class NarratorForm(FlaskForm):
    """Every narrator field; vocabulary choices are filled in by the view."""

    required_messages = {"pseudonym": _l("Enter a pseudonym")}

    pseudonym = StringField(_l("Pseudonym"), validators=[Length(max=120)],
                            description=_l("Shown publicly instead of the narrator's name."))
    real_name = StringField(_l("Real name (curators only)"), validators=[Length(max=200)],
                            description=_l("Never shown on any public page, export or search result. "
                                           "Leave empty unless the archive must keep it."))
    public_name = StringField(_l("Public name"), validators=[Length(max=200)],
                              description=_l("Shown only on testimonies where the narrator consented to be named."))
    gender = SelectField(_l("Gender"), choices=options((g, GENDER_LABELS.get(g, g.capitalize())) for g in GENDERS),
                         default="unspecified", validate_choice=False)
    birth_year = StringField(_l("Birth year"), description=_l("Four digits, e.g. 1975."))
    origin_province = SelectField(_l("Home province"), validate_choice=False)
    origin_place = SelectField(_l("Home town, county or camp"), validate_choice=False)
    occupation = SelectField(_l("Occupation in the North"), validate_choice=False)
    education = SelectField(_l("Education"), validate_choice=False)
    residence_region = SelectField(_l("Residence in the South"), validate_choice=False)
    left_north_year = StringField(_l("Year left the North"))
    arrived_south_year = StringField(_l("Year arrived in the South"))
    curator_notes = TextAreaField(_l("Curator notes"), validators=[Length(max=20000)],
                                  description=_l("Internal notes; never shown publicly."))
    consent_detailed_profile = BooleanField(_l("The narrator consented to a detailed public profile"))
    exact_fields = MultiCheckboxField(
        _l("Show exactly"), choices=options(EXACT_FIELD_CHOICES), validate_choice=False,
        description=_l("Only with the consent above. Otherwise public and researcher pages show the birth decade, "
                       "the home province only and five-year bands for the years of leaving and arriving."))

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
            "curator_notes", "consent_detailed_profile", "exact_fields")}


class NarratorEditForm(NarratorForm):
    """Editing a narrator: the version the form was rendered with, so a later save by someone else is refused."""

    version = version_field()


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
        "consent_detailed_profile": bool(narrator.consent_detailed_profile),
        "exact_fields": list(narrator.exact_fields),
        "version": narrator.version,
    }


# ---------------------------------------------------------------- testimonies

class TextHint(LazyString):
    """A lazily translated plain-text hint: escaped when rendered (lazy_gettext's strings count as markup)."""

    def __html__(self) -> str:
        return str(escape(str(self)))


SUMMARY_HINT = TextHint(lambda: _("Limited HTML is allowed: %(tags)s. Links may use http, https or mailto. "
                                  "Everything else is removed when shown.",
                                  tags=", ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))))
TESTIMONY_FIELDS = (
    "title", "external_id", "languages", "interview_date", "interviewer", "interview_place", "summary",
    "consent_audio", "consent_transcript", "consent_name", "consent_face_voice", "consent_notes", "embargo_until",
    "access", "fictional", "featured",
)


class TestimonyFieldsForm(FlaskForm):
    """The descriptive fields shared by the create form and the metadata section."""

    required_messages = {"title": _l("Enter a title"), "narrator": _l("Choose a narrator from the list")}
    spoken_names = {"embargo_until": _l("end of the embargo")}

    narrator = SelectField(_l("Narrator"), validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=300)])
    external_id = StringField(_l("External identifier"), validators=[Length(max=120)],
                              description=_l("Optional catalogue number from another collection."))
    languages = MultiCheckboxField(_l("Languages of the interview"),
                                   choices=options((code, LANGUAGE_LABELS.get(code, name))
                                                   for code, name in LANGUAGES.items()),
                                   validate_choice=False)
    interview_date = StringField(_l("Interview date"), description=_l("YYYY, YYYY-MM or YYYY-MM-DD."))
    interviewer = StringField(_l("Interviewer"), validators=[Length(max=200)])
    interview_place = StringField(_l("Interview place"), validators=[Length(max=200)])
    summary = TextAreaField(_l("Summary"), description=SUMMARY_HINT)
    # What each answer does is said plainly (archive/policy/access.py: can_hear, masks_voice; archive/media/copies.py).
    consent_audio = BooleanField(_l("The narrator consented to publishing the audio"), description=_l(
        "Not ticked: only staff can play the recording. Ticked: everyone else who may see the testimony hears its "
        "public copy, with restricted passages silenced; the question on face and voice below decides whether the "
        "voice is disguised and whether a video is shown."))
    consent_transcript = BooleanField(_l("The narrator consented to publishing the transcript"))
    consent_name = BooleanField(_l("The narrator consented to being named (public name)"))
    consent_face_voice = BooleanField(_l("The narrator consented to showing face and voice unaltered"), description=_l(
        "Ticked (with the audio consent): the voice is heard as recorded, and a video recording is shown. Not ticked: "
        "an audio recording is heard with the voice disguised (pitch-shifted, timing kept), and a video recording is "
        "not shown outside staff at all, neither picture nor sound. Without the audio consent nothing is played "
        "outside staff either way."))
    consent_notes = TextAreaField(_l("Consent notes"), description=_l("Internal; never shown publicly."))
    embargo_until = StringField(_l("Embargo until"),
                                description=_l("YYYY-MM-DD; hidden from everyone but curators until then."))
    access = SelectField(_l("Access level"), choices=options([
        ("restricted", _l("Restricted: curators only")),
        ("researchers", _l("Researchers: approved researchers and curators")),
        ("public", _l("Public: everyone, once published")),
    ]), default="restricted", validate_choice=False)
    fictional = BooleanField(_l("Fictional demonstration testimony"))
    featured = BooleanField(_l("Feature on the home page"))

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

    position = IntegerField(_l("Order"), validators=[Optional()])
    country = SelectField(_l("Country"), validate_choice=False)
    place = StringField(_l("Place"), validators=[Length(max=200)])
    year = StringField(_l("Year"))
    event = SelectField(_l("What happened"), choices=options((e, EVENT_LABELS.get(e, e.capitalize()))
                                                             for e in ROUTE_EVENTS),
                        default="transit", validate_choice=False)
    remove = BooleanField(_l("Remove this stop"))

    def is_blank(self) -> bool:
        """A row the curator left empty (the spare row)."""
        return not (self.country.data or (self.place.data or "").strip() or (self.year.data or "").strip())


class RouteForm(FlaskForm):
    """The whole escape route as numbered rows plus a spare empty one."""

    version = version_field()
    legs = FieldList(FormField(RouteLegForm), min_entries=0)
    required_messages = {"country": _l("Choose the country of this stop")}
    row_labels = {"legs": lambda number: _("Stop %(number)s", number=number)}

    def set_choices(self, countries: Choices) -> RouteForm:
        for entry in self.legs:
            entry.form.country.choices = [SelectChoice("", _("— choose a country —")), *countries]
        return self

    def kept_rows(self) -> list[Any]:
        """Rows to save, ordered by their order number (rows without one keep their place)."""
        rows = [(entry.form.position.data if entry.form.position.data is not None else index + 1, index, entry)
                for index, entry in enumerate(self.legs)
                if not entry.form.remove.data and not entry.form.is_blank()]
        return [row[2] for row in sorted(rows, key=lambda row: (row[0], row[1]))]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.kept_rows():  # every stop's problems at once, beside those of the other fields
            if not entry.form.country.data:
                required(entry.form.country)
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
    tags = MultiCheckboxField(_l("Topics"), validate_choice=False)


class ChapterRowForm(Form):
    """One chapter (index point) of the recording."""

    start = StringField(_l("Starts at"), description=TIME_HINT)
    title = StringField(_l("Chapter title"), validators=[Length(max=300)])
    synopsis = TextAreaField(_l("Synopsis"), validators=[Length(max=5000)])
    keywords = StringField(_l("Keywords"), description=_l("Separate keywords with commas."))
    remove = BooleanField(_l("Remove this chapter"))

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.start, self.title, self.synopsis, self.keywords))


class ChaptersForm(FlaskForm):
    """The chapter list; chapters are shown in order of their start time."""

    version = version_field()
    chapters = FieldList(FormField(ChapterRowForm), min_entries=0)
    required_messages = {"start": _l("Enter the start as hh:mm:ss, such as 0:01:23"),
                         "title": _l("Enter the chapter title")}
    spoken_names = {"start": _l("start")}
    row_labels = {"chapters": lambda number: _("Chapter %(number)s", number=number)}

    def kept_rows(self) -> list[Any]:
        """Rows to save: neither removed nor left empty."""
        return [entry for entry in self.chapters if not entry.form.remove.data and not entry.form.is_blank()]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.kept_rows():
            if not (entry.form.start.data or "").strip():
                required(entry.form.start)
                ok = False
        return ok


def chapters_data(testimony: Any, spare_rows: int = 1) -> dict[str, Any]:
    rows = [{"start": timecode.editable(ch.start), "title": ch.title, "synopsis": ch.synopsis, "keywords": ch.keywords}
            for ch in testimony.chapters]
    rows += [{"start": "", "title": "", "synopsis": "", "keywords": ""}] * spare_rows
    return {"version": testimony.version, "chapters": rows}


# ---------------------------------------------------------------- media and transcript

class RecordingForm(FlaskForm):
    """Upload (or replace) the recording; the service identifies the file by its content."""

    version = version_field()
    file = FileField(_l("Recording file"))
    required_messages = {"file": _l("Choose an audio or video file")}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.file.data:
            required(self.file)
            ok = False
        return ok


class VersionForm(FlaskForm):
    """A button that changes state (publish, unpublish, remove recording)."""

    version = version_field()


TRANSCRIPT_FORMATS = options([("auto", _l("Detect automatically")), ("vtt", "WebVTT (.vtt)"), ("srt", "SubRip (.srt)"),
                              ("txt", _l("Timestamped text ([00:01:23] Speaker: text)"))])


class TranscriptForm(FlaskForm):
    """Import a transcript from a file or pasted text; it replaces every segment."""

    version = version_field()
    file = FileField(_l("Transcript file"))
    text = TextAreaField(_l("Or paste the transcript"))
    format = SelectField(_l("Format"), choices=TRANSCRIPT_FORMATS, default="auto")
    confirm = BooleanField(_l("I understand that the import replaces all existing transcript segments"))
    required_messages = {"file": _l("Choose a transcript file or paste the transcript below"),
                         "confirm": _l("Tick this box to replace the existing segments")}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.file.data and not (self.text.data or "").strip():
            required(self.file)
            ok = False
        return ok


class SegmentForm(FlaskForm):
    """Edit one transcript passage."""

    required_messages = {"text": _l("Enter the text of the passage")}

    version = version_field()
    start = StringField(_l("Start"), description=TIME_HINT)
    end = StringField(_l("End"), description=TIME_HINT)
    speaker = StringField(_l("Speaker"), validators=[Length(max=120)])
    text = TextAreaField(_l("Text"))
    language = SelectField(_l("Language"), choices=options([("", _l("— same as the interview —")),
                                                            *((code, LANGUAGE_LABELS.get(code, name))
                                                              for code, name in LANGUAGES.items())]),
                           validate_choice=False)
    restricted = BooleanField(_l("Restricted: never shown outside the curator pages"))

    def values(self) -> dict[str, Any]:
        return {"start": timecode.parse_field(self.start.data), "end": timecode.parse_field(self.end.data),
                "speaker": self.speaker.data, "text": self.text.data, "language": self.language.data,
                "restricted": self.restricted.data}


def segment_data(segment: Any, version: int) -> dict[str, Any]:
    return {"version": version, "start": timecode.editable(segment.start), "end": timecode.editable(segment.end),
            "speaker": segment.speaker, "text": segment.text, "language": segment.language,
            "restricted": segment.restricted}


# ---------------------------------------------------------------- confirmations

class WithdrawForm(FlaskForm):
    """Record that the narrator withdrew consent."""

    version = version_field()
    confirm = BooleanField(_l("The narrator has withdrawn consent: remove this testimony from every public surface"),
                           validators=[DataRequired(message=_l("tick the box to confirm the withdrawal"))])


class DeleteForm(FlaskForm):
    """Delete a testimony for good."""

    version = version_field()
    confirm = BooleanField(_l("Delete this testimony, its transcript, chapters, route and recording permanently"),
                           validators=[DataRequired(message=_l("tick the box to confirm the deletion"))])


def select_choices(items: Sequence[Any], label: Any, group: Any = None, attrs: Any = None) -> Choices:
    """Options for vocabulary rows, valued by slug (optionally grouped, e.g. by kind of place, and with
    attributes, e.g. a place's province for the page's filter)."""
    return [SelectChoice(item.slug, label(item), optgroup=group(item) if group else None,
                         render_kw=attrs(item) if attrs else None) for item in items]


# ---------------------------------------------------------------- service errors onto fields

_ROW_KEY = re.compile(r"^\w+\[(\d+)\](?:\.(\w+))?$")


def add_errors(form: FlaskForm, errors: dict[str, list[str]], rename: dict[str, str] | None = None,
               only_new: bool = False) -> None:
    """Put a service's {field: messages} on the named fields; the rest become form-level errors.

    only_new: a field the form's own checks already refused keeps their message alone (no second one).
    """
    for key, messages in errors.items():
        name = (rename or {}).get(key, key)
        field = form._fields.get(name)
        if field is not None and not isinstance(field.widget, HiddenInput):
            if not (only_new and field.errors):
                field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages if key == "__all__" else [f"{key}: {m}" for m in messages])


def add_row_errors(form: FlaskForm, errors: dict[str, list[str]], rows: Sequence[Any], what: str,
                   only_new: bool = False) -> None:
    """Put errors keyed like "route[2].year" on the field of the second row that was sent to the service."""
    for key, messages in errors.items():
        match = _ROW_KEY.match(key)
        field = None
        if match and 1 <= int(match.group(1)) <= len(rows) and match.group(2):
            field = rows[int(match.group(1)) - 1].form._fields.get(match.group(2))
        if field is not None:
            if not (only_new and field.errors):
                field.errors = [*field.errors, *messages]
        else:
            label = f"{what} {match.group(1)}" if match else key
            form.form_errors.extend(f"{label}: {m}" for m in messages)
