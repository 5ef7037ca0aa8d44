"""Login, logout, password change and researcher registration."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from archive.accounts.forms import LoginForm, PasswordChangeForm, RegisterForm
from archive.policy import access
from archive.policy.redirects import safe_next
from archive.accounts import administration as accounts
from archive.accounts import throttling
from archive.accounts import users
from archive.core.errors import ValidationError

bp = Blueprint("auth", __name__, url_prefix="/account")
Page = Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]


def _client() -> str:
    return throttling.client_address(request.remote_addr, list(request.access_route))


def _throttled(template: str, form: FlaskForm, refused: throttling.Throttled) -> tuple[str, int, dict[str, str]]:
    flash(str(refused), "error")
    return render_template(template, form=form), 429, {"Retry-After": str(refused.retry_after)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    form = LoginForm()
    if form.validate_on_submit():
        client, email = _client(), form.email.data or ""
        try:
            throttling.check_login(email, client)
        except throttling.Throttled as refused:
            return _throttled("accounts/login.html", form, refused)
        try:
            user = users.authenticate(email, form.password.data or "")
        except users.LoginRefused as refused:
            throttling.note_login_failure(email, client)
            flash(str(refused), "error")
            return render_template("accounts/login.html", form=form), 401
        throttling.note_login_success(email, client)
        login_user(user)
        if user.role == "researcher" and not user.approved:
            flash(_("You are logged in. Your researcher account is waiting for an admin's approval; until then you "
                    "see what every visitor sees."), "info")
        else:
            flash(_("You are logged in."), "info")
        # Curators and admins start at their work; a safe `next` (the page that asked for the login) wins.
        landing = url_for("curator.dashboard") if access.can_edit(user) else None
        return redirect(safe_next(request.args.get("next"), landing))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    users.end_sessions(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Page:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        client, email = _client(), current_user.email
        try:
            throttling.check_login(email, client)
        except throttling.Throttled as refused:
            return _throttled("accounts/password.html", form, refused)
        try:
            users.change_password(current_user._get_current_object(), form.old_password.data or "",
                                  form.new_password.data or "")
        except ValidationError as error:
            if "old_password" in error.errors:  # guessing the current password counts as a failed login
                throttling.note_login_failure(email, client)
            for field, messages in error.errors.items():
                getattr(form, field).errors = list(messages)
            return render_template("accounts/password.html", form=form)
        logout_user()
        flash(_("Password changed. Every session was ended; please log in again."), "info")
        return redirect(url_for("auth.login"))
    return render_template("accounts/password.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
def register() -> Page:
    """Researchers ask for an account; an admin approves it before they see more than the public."""
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        client = _client()
        try:
            throttling.check_client("register", client)
        except throttling.Throttled as refused:
            return _throttled("accounts/register.html", form, refused)
        throttling.note_attempt("register", client)
        try:
            accounts.register_researcher(form.email.data or "", form.password.data or "",
                                         form.affiliation.data or "", form.purpose.data or "")
        except ValidationError as error:
            for field, messages in error.errors.items():
                getattr(form, field).errors = list(messages)
            return render_template("accounts/register.html", form=form)
        # The same answer whether or not the email was already registered.
        flash(_("Thank you. Your request was received; you can log in now, and an admin will review your access."),
              "info")
        return redirect(url_for("auth.login"))
    return render_template("accounts/register.html", form=form)
