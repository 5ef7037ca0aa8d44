"""Forms for the exchange formats: the curator's OHMS index import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from archive.curation.forms import version_field


class OhmsImportForm(FlaskForm):
    """Upload an OHMS XML file: its index points replace the chapters."""

    version = version_field()
    file = FileField(_l("OHMS XML file"), validators=[FileRequired(message=_l("choose an OHMS XML file (.xml)"))])
    transcript = BooleanField(_l("Also replace the transcript with the file's transcript"))
