"""The publication checklist and the sensitive terms of a testimony (curators and admins only).

Every POST carries the CSRF token; restricting a passage and publishing carry the testimony's
version too, so a page left open while someone else changed the testimony is refused (409).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from archive.core.extensions import db
from archive.curation.publishing_forms import PublishForm, RemoveTermForm, RestrictForm, SensitiveTermForm
from archive.models import Segment, Testimony
from archive.curation import publishing
from archive.policy import release
from archive.curation import sensitive
from archive.core.errors import ConflictError, ValidationError
from archive.formats import timecode
from archive.policy.guards import curators_area

bp = Blueprint("publishing", __name__, url_prefix="/curate/testimonies")

Page = str | tuple[str, int] | Response
BACK = {"checklist": "checklist", "sensitive": "sensitive_terms"}


curators_area(bp)


def _audience(t: Testimony, value: str | None) -> str:
    return value if value in release.AUDIENCES else publishing.default_audience(t)


def _checklist_page(t: Testimony, audience: str, form: PublishForm | None = None, status: int = 200,
                    conflict: ConflictError | None = None, problems: list[str] | None = None) -> tuple[str, int]:
    review = publishing.checklist(t, audience)
    form = form or PublishForm(formdata=None, data={"version": t.version, "audience": audience,
                                                    "justification": t.disclosure_justification or ""})
    return render_template("curation/publish.html", t=t, review=review, form=form, conflict=conflict,
                           problems=problems or [], restrict_back="checklist"), status


@bp.get("/<int:testimony_id>/checklist")
def checklist(testimony_id: int) -> tuple[str, int]:
    t = db.get_or_404(Testimony, testimony_id)
    return _checklist_page(t, _audience(t, request.args.get("audience")))


@bp.post("/<int:testimony_id>/checklist")
def publish(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    form = PublishForm()
    audience = _audience(t, form.audience.data)
    if not form.validate():
        return _checklist_page(t, audience, form, 400)
    try:
        publishing.publish_testimony(t, audience, form.version.data, confirmed=bool(form.confirm.data),
                                     justification=form.justification.data or "")
    except ConflictError as error:
        db.session.rollback()
        return _checklist_page(t, audience, form, 409, conflict=error)
    except ValidationError as error:
        db.session.rollback()
        for name, messages in error.errors.items():
            if name in ("confirm", "justification"):
                form[name].errors = [*form[name].errors, *messages]
        return _checklist_page(t, audience, form, 400, problems=error.errors.get("__all__", []))
    flash(_("Published: visible to everyone.") if audience == "public"
          else _("Published: visible to approved researchers."), "info")
    return redirect(url_for("curator.edit_testimony", testimony_id=t.id, _anchor="publication"))


def _sensitive_page(t: Testimony, form: SensitiveTermForm | None = None, status: int = 200,
                    conflict: ConflictError | None = None) -> tuple[str, int]:
    return render_template("curation/sensitive.html", t=t, scan=sensitive.scan(t), form=form or SensitiveTermForm(
        formdata=None), conflict=conflict, restrict_back="sensitive"), status


@bp.route("/<int:testimony_id>/sensitive", methods=["GET", "POST"])
def sensitive_terms(testimony_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    if request.method == "GET":
        return _sensitive_page(t)
    form = SensitiveTermForm()
    if form.validate():
        try:
            sensitive.add_term(t, form.term.data, form.note.data)
        except ValidationError as error:
            db.session.rollback()
            for name, messages in error.errors.items():
                target = form[name] if name in ("term", "note") else form.term
                target.errors = [*target.errors, *messages]
        else:
            flash(_("Sensitive term added; the scan below now looks for it."), "info")
            return redirect(url_for(".sensitive_terms", testimony_id=t.id, _anchor="scan"))
    return _sensitive_page(t, form, 400)


@bp.post("/<int:testimony_id>/sensitive/<int:term_id>/remove")
def remove_term(testimony_id: int, term_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    if not RemoveTermForm().validate():
        abort(400)
    try:
        sensitive.remove_term(t, term_id)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Sensitive term removed; the scan no longer looks for it."), "info")
    return redirect(url_for(".sensitive_terms", testimony_id=t.id, _anchor="terms"))


@bp.post("/<int:testimony_id>/segments/<int:segment_id>/restrict")
def restrict_passage(testimony_id: int, segment_id: int) -> Page:
    t = db.get_or_404(Testimony, testimony_id)
    segment = db.get_or_404(Segment, segment_id)
    if segment.testimony_id != t.id:
        abort(404)
    form = RestrictForm()
    back = form.back.data if form.back.data in BACK else "sensitive"
    audience = request.args.get("audience")

    def page(status: int, conflict: ConflictError | None = None) -> tuple[str, int]:
        if back == "checklist":
            return _checklist_page(t, _audience(t, audience), status=status, conflict=conflict,
                                   problems=[str(e) for e in form.version.errors])
        return _sensitive_page(t, status=status, conflict=conflict)

    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return page(400)
    try:
        sensitive.restrict_passage(t, segment, form.version.data)
    except ConflictError as error:
        db.session.rollback()
        return page(409, error)
    flash(_("Passage %(number)s (%(time)s) is now restricted: nobody outside staff reads its text.",
            number=segment.position, time=timecode.clock(segment.start)), "info")
    target: dict[str, Any] = {"testimony_id": t.id, "_anchor": "scan"}
    if back == "checklist" and audience in release.AUDIENCES:
        target["audience"] = audience
    return redirect(url_for(f".{BACK[back]}", **target))
