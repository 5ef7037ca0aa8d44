"""The curators' pages of access requests (/curate/access/): the list, one request's decision, revocation."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.grants import decisions
from archive.grants.forms import GrantForm, RefuseForm, RevokeForm
from archive.models import TestimonyAccessRequest
from archive.models.base import utcnow
from archive.policy.guards import curators_area

bp = Blueprint("access_grants", __name__, url_prefix="/curate/access")

Page = str | tuple[str, int] | Response


curators_area(bp)


@bp.get("/")
def index() -> str:
    return render_template("grants/curate_index.html", pending=decisions.pending_requests(),
                           decided=decisions.decided_requests(), grants=decisions.all_grants(), now=utcnow(),
                           revoke_form=RevokeForm(), obstacle_text=decisions.obstacle_text)


@bp.get("/requests/<int:request_id>")
def decide(request_id: int) -> Page:
    return _decision_page(_request_or_404(request_id), GrantForm(formdata=None), RefuseForm(formdata=None))


@bp.post("/requests/<int:request_id>/grant")
def grant(request_id: int) -> Page:
    access_request = _request_or_404(request_id)
    form = GrantForm()
    if form.validate():
        try:
            given = decisions.grant_request(access_request, form.days.data)
        except ValidationError as error:
            db.session.rollback()
            _add_errors(form, error)
        else:
            flash(_("Access granted to %(who)s until %(when)s UTC.", who=access_request.user.email,
                    when=given.expires_at.strftime("%Y-%m-%d %H:%M")), "info")
            return redirect(url_for(".index"))
    return _decision_page(access_request, form, RefuseForm(formdata=None), 400)


@bp.post("/requests/<int:request_id>/refuse")
def refuse(request_id: int) -> Page:
    access_request = _request_or_404(request_id)
    form = RefuseForm()
    if form.validate():
        try:
            decisions.refuse_request(access_request, form.reason.data or "")
        except ValidationError as error:
            db.session.rollback()
            _add_errors(form, error)
        else:
            flash(_("Request refused; the researcher sees your reason."), "info")
            return redirect(url_for(".index"))
    return _decision_page(access_request, GrantForm(formdata=None), form, 400)


@bp.post("/grants/<int:grant_id>/revoke")
def revoke(grant_id: int) -> Response:
    grant = decisions.get_grant(grant_id)
    if grant is None:
        abort(404)
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        decisions.revoke_grant(grant)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Grant revoked: %(who)s can no longer open it.", who=grant.user.email), "info")
    return redirect(url_for(".index") + "#grants-heading")


def _request_or_404(request_id: int) -> TestimonyAccessRequest:
    found = decisions.get_request(request_id)
    if found is None:
        abort(404)
    return found


def _add_errors(form: GrantForm | RefuseForm, error: ValidationError) -> None:
    for name, messages in error.errors.items():
        (getattr(form, name).errors if name in form else form.form_errors).extend(messages)


def _decision_page(access_request: TestimonyAccessRequest, grant_form: GrantForm, refuse_form: RefuseForm,
                   status: int = 200) -> tuple[str, int]:
    obstacle = decisions.obstacle(access_request) if access_request.state == "pending" else None
    return render_template("grants/decide.html", r=access_request, obstacle=obstacle,
                           obstacle_text=decisions.obstacle_text(obstacle), grant_form=grant_form,
                           refuse_form=refuse_form, now=utcnow(),
                           grants=decisions.grants_for(access_request)), status
