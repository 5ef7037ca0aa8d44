"""Forms for administrators updating the arrivals statistics: the shape of input only."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

MAX_CSV_BYTES = 200_000


class ArrivalsYearForm(FlaskForm):
    """One new (or revised) year of arrivals."""

    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(1950, 2100)])
    male = IntegerField(_l("Men"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    female = IntegerField(_l("Women"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])


class ArrivalsUploadForm(FlaskForm):
    """A CSV file or pasted CSV text with the columns of arrivals_by_year.csv."""

    csv_file = FileField(_l("CSV file"))
    csv_text = TextAreaField(_l("Or paste the CSV"), validators=[Optional(), Length(max=MAX_CSV_BYTES)])

    def csv_content(self) -> str | None:
        """The uploaded or pasted text; None (with a form error) when neither is usable."""
        upload: Any = self.csv_file.data
        if upload is not None and getattr(upload, "filename", ""):
            raw = upload.read(MAX_CSV_BYTES + 1)
            if len(raw) > MAX_CSV_BYTES:
                self.csv_file.errors = [_("the file is larger than %(size)s kB", size=MAX_CSV_BYTES // 1000)]
                return None
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.csv_file.errors = [_("the file is not UTF-8 text")]
                return None
        if self.csv_text.data and self.csv_text.data.strip():
            return self.csv_text.data
        self.csv_file.errors = [_("choose a CSV file or paste the CSV text")]
        return None


class ArrivalsConfirmForm(FlaskForm):
    """The previewed upload, sent back to be saved (validated again by the service)."""

    csv_text = HiddenField(validators=[DataRequired(), Length(max=MAX_CSV_BYTES)])
    base = HiddenField(validators=[DataRequired(), Length(max=64)])
