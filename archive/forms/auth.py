"""Account forms: login, password change, researcher registration and the admin's account actions."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from archive.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=500)])


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[
        DataRequired(), Length(min=10, max=500, message="must be at least 10 characters (and at most 500)")],
                             description="At least 10 characters.")
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", message="must match the password")])
    affiliation = StringField("Affiliation", validators=[DataRequired(), Length(max=300)],
                              description="Your university, institute or organisation.")
    purpose = TextAreaField("Why do you need access?", validators=[DataRequired(), Length(max=5000)],
                            description="Your research project and how you will use the testimonies.")


class ActionForm(FlaskForm):
    """An admin action button: only the CSRF token."""


class RoleForm(FlaskForm):
    # The admin page renders its own <select>; this only checks the submitted value.
    role = StringField("Role", validators=[DataRequired(), AnyOf(ROLES)])
