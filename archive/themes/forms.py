"""The curator form of a context theme: the shape of input only; services.themes decides what is valid."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from archive.curation.forms import MultiCheckboxField, version_field
from archive.models.themes import Theme

BODY_HINT = _l("HTML: paragraphs, emphasis, lists, links, quotations and h3/h4 headings are kept; everything else "
               "(scripts, styles, images) is removed on display. Write [[arrivals_total]] or [[arrivals_as_of]] for "
               "the current Ministry of Unification figures.")
SOURCES_HINT = _l("One citation per line: Author | Title | Publisher | Year | URL | Accessed (YYYY-MM-DD). "
                  "Give at least a title and an author or publisher; the other fields may be left empty.")


class ThemeForm(FlaskForm):
    """Both languages of a theme, its sources and its links to topics, statistics and places."""

    version = version_field()
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    title_ko = StringField(_l("Title (Korean)"), validators=[Length(max=200)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Length(max=2_000)])
    summary_ko = TextAreaField(_l("Summary (Korean)"), validators=[Length(max=2_000)])
    body_en = TextAreaField(_l("Text (English)"), validators=[Length(max=100_000)], description=BODY_HINT)
    body_ko = TextAreaField(_l("Text (Korean)"), validators=[Length(max=100_000)],
                            description=_l("Left empty, the English text is shown to Korean readers."))
    sources = TextAreaField(_l("Sources"), validators=[Length(max=100_000)], description=SOURCES_HINT)
    position = IntegerField(_l("Position in the list of themes"), validators=[Optional(), NumberRange(0, 10_000)],
                            default=0)
    topics = MultiCheckboxField(_l("Topics (the theme's testimonies are those tagged with any of them)"),
                                validate_choice=False)
    statistics = MultiCheckboxField(_l("Related statistics"), validate_choice=False)
    places = MultiCheckboxField(_l("Related place pages"), validate_choice=False)

    def values(self) -> dict[str, Any]:
        """The submitted values in the shape services.themes expects."""
        return {name: getattr(self, name).data for name in (
            "title_en", "title_ko", "summary_en", "summary_ko", "body_en", "body_ko", "sources", "position",
            "topics", "statistics", "places")}


class NewThemeForm(ThemeForm):
    """A new theme also needs its address."""

    version = None  # type: ignore[assignment]
    slug = StringField(_l("Address (slug)"), validators=[Length(max=80)],
                       description=_l("Lower-case letters, digits and hyphens; the page will be /themes/<slug>."))

    def values(self) -> dict[str, Any]:
        return {**super().values(), "slug": self.slug.data}


def theme_data(theme: Theme, sources_text: str) -> dict[str, Any]:
    """Fill the form from a saved theme."""
    return {"version": theme.version, "title_en": theme.title_en, "title_ko": theme.title_ko,
            "summary_en": theme.summary_en, "summary_ko": theme.summary_ko, "body_en": theme.body_en,
            "body_ko": theme.body_ko, "sources": sources_text, "position": theme.position,
            "topics": [t.slug for t in theme.topics], "statistics": list(theme.statistics_keys or []),
            "places": [p.slug for p in theme.places]}


def add_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Attach a service's ValidationError messages to the form's fields (or to the form as a whole)."""
    for name, messages in errors.items():
        field = getattr(form, "statistics" if name == "statistics_keys" else name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
