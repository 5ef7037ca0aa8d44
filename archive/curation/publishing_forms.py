"""Forms of the publication checklist and the sensitive terms: the shape of input only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from archive.curation.forms import version_field


class PublishForm(FlaskForm):
    """Release the testimony to the audience the checklist was shown for."""

    version = version_field()
    audience = HiddenField()
    justification = TextAreaField(
        _l("Justification"), validators=[Length(max=5000)],
        description=_l("Required when fewer people than the threshold share the profile shown: why publishing "
                       "it is acceptable (for example, the narrator asked for it and is already known by name)."))
    confirm = BooleanField(_l("I reviewed this checklist and want to publish the testimony to this audience"))


class SensitiveTermForm(FlaskForm):
    """Add a name or detail that must never be public."""

    term = StringField(_l("Term"), validators=[Length(max=200)],
                       description=_l("A name, place, workplace or number, as it may appear in the text. Case and "
                                      "spacing do not matter."))
    note = StringField(_l("Note (optional)"), validators=[Length(max=300)],
                       description=_l("Why it is sensitive, for other curators (for example, “the narrator's "
                                      "sister”)."))


class RestrictForm(FlaskForm):
    """The one-click “restrict this passage” button, with the version the page was rendered with."""

    version = version_field()
    back = HiddenField()


class RemoveTermForm(FlaskForm):
    """Remove a term (only the CSRF token)."""
