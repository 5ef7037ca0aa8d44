"""Forms of access requests: the researcher's request, a curator's grant, refusal and revocation."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from archive.grants.decisions import DEFAULT_DAYS, REASON_MAX
from archive.grants.requests import PURPOSE_MAX, REFERENCE_MAX


class AccessRequestForm(FlaskForm):
    reference = StringField(
        _l("Testimony"), validators=[InputRequired(_l("Enter the testimony's number, permanent link or reference.")),
                                     Length(max=REFERENCE_MAX, message=_l("Enter at most %(max)d characters."))],
        description=_l("Its number or permanent link as given in a citation (for example 12 or "
                       "https://…/testimonies/12), or the reference you were given."))
    purpose = TextAreaField(
        _l("Purpose"),
        validators=[InputRequired(_l("Say what you need the testimony for.")),
                    Length(max=PURPOSE_MAX, message=_l("Enter at most %(max)d characters."))],
        description=_l("Your research question and how you will use the testimony. At most 2,000 characters."))


class GrantForm(FlaskForm):
    # Checked by the service (a whole number from 1 to MAX_DAYS), which names the field.
    days = StringField(_l("Days"), default=str(DEFAULT_DAYS),
                       validators=[InputRequired(_l("Enter a whole number of days from 1 to 365.")), Length(max=10)],
                       description=_l("How long the researcher may open the testimony, from now (1 to 365 days)."))


class RefuseForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[InputRequired(_l("Write the reason the researcher will read.")),
                                  Length(max=REASON_MAX, message=_l("Enter at most %(max)d characters."))],
        description=_l("The researcher reads this. Do not say whether the testimony exists or what it holds."))


class RevokeForm(FlaskForm):
    """A revoke button: only the CSRF token."""
