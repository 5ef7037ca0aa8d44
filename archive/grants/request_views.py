"""The researcher's access page (/account/access): ask for one testimony, see your requests and grants."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.grants import requests
from archive.grants.forms import AccessRequestForm
from archive.models.base import utcnow
from archive.policy import protected

bp = Blueprint("access_requests", __name__, url_prefix="/account/access")


@bp.before_request
@login_required
def _researchers_only() -> None:
    if not requests.may_ask(current_user):
        abort(404)


@bp.route("/", methods=["GET", "POST"])
def page() -> Response | tuple[str, int]:
    form = AccessRequestForm()
    if form.validate_on_submit():
        try:
            requests.ask_for_access(current_user._get_current_object(), form.reference.data or "",
                                    form.purpose.data or "")
        except ValidationError as error:
            db.session.rollback()
            for name, messages in error.errors.items():
                (getattr(form, name).errors if hasattr(form, name) else form.form_errors).extend(messages)
        else:
            # The same answer whatever the reference names: this page must not tell what exists.
            flash(_("Your request was recorded. A curator will answer it; the answer will appear on this page."),
                  "info")
            return redirect(url_for(".page"))
    return _page(form, 400 if form.is_submitted() else 200)


def _page(form: AccessRequestForm, status: int) -> tuple[str, int]:
    user = current_user._get_current_object()
    grants = requests.grants_of(user)
    # A title (and a link) only where the researcher may open the testimony now, through the protected view.
    views = {g.id: protected.testimony_view(user, g.testimony) for g in grants}
    return render_template("grants/researcher.html", form=form, requests=requests.requests_of(user), grants=grants,
                           views=views, now=utcnow()), status
