"""Login, logout and password change."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from archive.forms.auth import LoginForm, PasswordChangeForm
from archive.services import users
from archive.services.errors import ValidationError

bp = Blueprint("auth", __name__, url_prefix="/account")


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data or "", form.password.data or "")
        except users.LoginRefused as refused:
            flash(str(refused), "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        flash("You are logged in.", "info")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    users.end_sessions(current_user._get_current_object())
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            users.change_password(current_user._get_current_object(), form.old_password.data or "",
                                  form.new_password.data or "")
        except ValidationError as error:
            for field, messages in error.errors.items():
                getattr(form, field).errors = list(messages)
            return render_template("auth/password.html", form=form)
        logout_user()
        flash("Password changed. Every session was ended; please log in again.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)
