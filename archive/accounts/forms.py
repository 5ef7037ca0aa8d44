"""Account forms: login, password change, researcher registration and the admin's account actions."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from archive.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=500)])


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(), Length(min=10, max=500, message=_l("must be at least 10 characters (and at most 500)"))],
                             description=_l("At least 10 characters."))
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("must match the password"))])
    affiliation = StringField(_l("Affiliation"), validators=[DataRequired(), Length(max=300)],
                              description=_l("Your university, institute or organisation."))
    purpose = TextAreaField(_l("Why do you need access?"), validators=[DataRequired(), Length(max=5000)],
                            description=_l("Your research project and how you will use the testimonies."))


class ActionForm(FlaskForm):
    """An admin action button: only the CSRF token."""


class RoleForm(FlaskForm):
    # The admin page renders its own <select>; this only checks the submitted value.
    role = StringField(_l("Role"), validators=[DataRequired(), AnyOf(ROLES)])
