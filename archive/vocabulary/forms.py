"""The curator forms of the vocabulary pages: the shape of input only; vocabulary.terms decides what is valid."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from archive.models import Category, Place, Topic

LABEL_FIELDS = {"label_en": "name_en", "label_ko": "name_ko"}  # the form's names → a place's columns


class TermForm(FlaskForm):
    """Every field of a term; the view removes those its vocabulary does not have."""

    label_en = StringField(_l("English label"), validators=[Length(max=160)])
    label_ko = StringField(_l("Korean label"), validators=[Length(max=160)],
                           description=_l("Left empty, Korean readers see the English label."))
    slug = StringField(_l("Address (slug)"), validators=[Length(max=80)],
                       description=_l("Lower-case letters, digits and hyphens, used in links and import files. Left "
                                      "empty, it is made from the English label. A changed slug keeps the old one "
                                      "working: old links redirect, old import files still match."))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    kind = SelectField(_l("Kind of place"), validate_choice=False)
    parent = SelectField(_l("Province it lies in"), validate_choice=False,
                         description=_l("Only for cities and camps."))
    mccune_reischauer = StringField(_l("McCune-Reischauer spelling"), validators=[Length(max=160)])
    revised_romanization = StringField(_l("Revised Romanization spelling"), validators=[Length(max=160)])
    other_variants = TextAreaField(_l("Other spellings"), validators=[Length(max=2000)],
                                   description=_l("One per line: older romanizations, Chinese characters, local "
                                                  "names. Search and imports recognise every spelling."))

    def values(self, vocabulary: str) -> dict[str, Any]:
        """The submitted values under the column names of the vocabulary's table."""
        data = {name: field.data or "" for name, field in self._fields.items() if name != "csrf_token"}
        if vocabulary == "place":
            data = {LABEL_FIELDS.get(name, name): value for name, value in data.items()}
        return data


class MergeForm(FlaskForm):
    """Merge this term into another: every testimony is re-tagged, the old slug redirects."""

    target = SelectField(_l("Merge into"), validate_choice=False,
                         validators=[InputRequired(message=_l("Choose the term to merge into."))])
    confirm = BooleanField(_l("I understand: every testimony and narrator this term describes is re-tagged, "
                              "and this term is deleted."),
                           validators=[InputRequired(message=_l("Tick the box to confirm the merge."))])


class RetireForm(FlaskForm):
    """Retire a term, or bring a retired one back (a button and the CSRF token)."""


def term_data(term: Topic | Place | Category) -> dict[str, Any]:
    """Fill the form from a saved term."""
    if isinstance(term, Place):
        return {"label_en": term.name_en, "label_ko": term.name_ko, "slug": term.slug, "kind": term.kind,
                "parent": term.parent.slug if term.parent else "", "mccune_reischauer": term.mccune_reischauer,
                "revised_romanization": term.revised_romanization,
                "other_variants": "\n".join(v for v in term.other_variants.split("|") if v)}
    return {"label_en": term.label_en, "label_ko": term.label_ko, "slug": term.slug,
            "description": getattr(term, "description", "")}


def add_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Attach a service's ValidationError messages to the form's fields (or to the form as a whole)."""
    names = {column: name for name, column in LABEL_FIELDS.items()}
    for name, messages in errors.items():
        field = getattr(form, names.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
