"""Admin pages: accounts (approve researchers, deactivate, change roles) and the audit log."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from archive.accounts.forms import ActionForm, RoleForm
from archive.models import ROLES, User
from archive.core.paging import page_number
from archive.policy.guards import require_admin
from archive.accounts import administration as accounts
from archive.core.errors import ValidationError

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLE_LABELS = {"admin": _l("admin"), "curator": _l("curator"), "researcher": _l("researcher")}


@bp.before_request
@login_required
def _admins_only() -> None:
    require_admin()


@bp.get("/")
def index() -> Response:
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users() -> str:
    status = request.args.get("status", "all")
    if status not in ("all", "pending", "inactive"):
        status = "all"
    page = page_number(request.args)
    return render_template("accounts/users.html", rows=accounts.list_users(status, page), status=status,
                           pending=accounts.pending_count(), roles=ROLES)


@bp.get("/audit")
def audit() -> str:
    page = page_number(request.args)
    action = request.args.get("action", "")
    return render_template("accounts/audit.html", entries=accounts.audit_page(page, action),
                           action=action[:80])


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _account(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _act(done: str, action: Callable[[], object]) -> Response:
    """Run one account change, flash the outcome and go back to the list."""
    if ActionForm().validate_on_submit():
        try:
            action()
        except accounts.AccountRefused as refused:
            flash(str(refused), "error")
        except ValidationError as error:
            flash("; ".join(f"{field}: {m}" for field, ms in error.errors.items() for m in ms), "error")
        else:
            flash(done, "info")
    return redirect(url_for("admin.users", status=request.args.get("status") or None))


@bp.post("/users/<int:user_id>/approve")
def approve(user_id: int) -> Response:
    user = _account(user_id)
    return _act(_("%(email)s is approved.", email=user.email), lambda: accounts.approve(user, _me()))


@bp.post("/users/<int:user_id>/revoke")
def revoke(user_id: int) -> Response:
    user = _account(user_id)
    return _act(_("%(email)s is no longer approved.", email=user.email),
                lambda: accounts.revoke_approval(user, _me()))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response:
    user = _account(user_id)
    return _act(_("%(email)s is deactivated; their sessions have ended.", email=user.email),
                lambda: accounts.set_active(user, False, _me()))


@bp.post("/users/<int:user_id>/activate")
def activate(user_id: int) -> Response:
    user = _account(user_id)
    return _act(_("%(email)s is active again.", email=user.email), lambda: accounts.set_active(user, True, _me()))


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int) -> Response:
    user = _account(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("admin.users"))
    role = form.role.data or ""
    return _act(_("%(email)s is now a %(role)s.", email=user.email, role=ROLE_LABELS.get(role, role)),
                lambda: accounts.set_role(user, role, _me()))
