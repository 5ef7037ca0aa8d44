"""Bulk work pages (curators and admins only): the dashboard's selection, the preview and the confirmation.

Every POST carries the CSRF token; the confirmation carries each testimony's version at the preview, so a
testimony changed meanwhile is skipped (archive/curation/bulk.py).
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.core.vocabulary import all_topics
from archive.curation import bulk
from archive.curation.bulk_forms import BulkForm, ConfirmForm
from archive.curation.editor_page import both_languages
from archive.curation.forms import add_errors, options
from archive.models import Narrator, Testimony
from archive.policy import access
from archive.policy.guards import curators_area

bp = Blueprint("bulk", __name__, url_prefix="/curate/bulk")

Page = str | tuple[str, int]


curators_area(bp)


def _with_topics(form: BulkForm) -> BulkForm:
    form.topics.choices = options((t.slug, both_languages(t, "{} · {}"))
                                  for t in all_topics(keep=tuple(form.topics.data or ())))
    return form


def dashboard_page(filters: bulk.Filters, form: BulkForm | None = None, status: int = 200) -> Page:
    """The curators' dashboard: the testimonies the filters match, each with its box to tick, and the narrators."""
    testimony_rows = bulk.matching(filters)
    form = _with_topics(form or BulkForm(formdata=None, data=filters.args()))
    counts = dict(db.session.execute(select(Testimony.narrator_id, func.count()).group_by(Testimony.narrator_id)).all())
    narrator_rows = db.session.scalars(select(Narrator).order_by(Narrator.pseudonym, Narrator.id)).all()
    total = db.session.scalar(select(func.count(Testimony.id))) or 0
    ticked = set(form.ids.data or [])
    return render_template("curation/dashboard.html", testimonies=testimony_rows, narrators=narrator_rows,
                           counts=counts, today=access.today(), filters=filters, total=total, bulk=form,
                           ticked=ticked, filter_topics=all_topics()), status


@bp.post("/preview")
def preview() -> Page:
    form = _with_topics(BulkForm())
    filters = bulk.Filters.from_args(request.form)
    if not form.validate():
        return dashboard_page(filters, form, 400)
    errors: dict[str, list[str]] = {}
    rows: list[Testimony] = []
    change: bulk.Change | None = None
    try:
        rows = bulk.selected(form.scope.data, form.ids.data or [], filters)
    except ValidationError as error:
        errors.update(error.errors)
    try:
        change = bulk.change_from(form.change_data())
    except ValidationError as error:
        errors.update(error.errors)
    if errors or change is None:
        add_errors(form, errors, rename={"access": "new_access"})
        return dashboard_page(filters, form, 400)
    outcome = bulk.preview(rows, change)
    confirm = ConfirmForm(formdata=None, data={
        **filters.args(), "action": change.action, "new_access": change.access,
        "embargo_until": change.embargo_until.isoformat() if change.embargo_until else "",
        "topics": [t.slug for t in change.topics],
        "item": [f"{i.testimony_id}:{i.version}" for i in outcome.of(bulk.CHANGE)]})
    return render_template("curation/bulk.html", outcome=outcome, form=confirm, filters=filters, done=False)


@bp.post("/apply")
def apply() -> Page:
    form = ConfirmForm()
    filters = bulk.Filters.from_args(request.form)
    versions = form.versions() if form.validate() else []
    try:
        change = bulk.change_from(form.change_data())
    except ValidationError as error:
        return render_template("curation/bulk.html", outcome=None, form=form, filters=filters, done=True,
                               problems=[m for ms in error.errors.values() for m in ms]), 400
    if not versions:
        return render_template("curation/bulk.html", outcome=None, form=form, filters=filters, done=True,
                               problems=[*form.form_errors, *[m for f in form for m in f.errors]] or [
                                   bulk.NOTHING_TO_APPLY]), 400
    outcome = bulk.apply(change, versions)
    return render_template("curation/bulk.html", outcome=outcome, form=None, filters=filters, done=True)
