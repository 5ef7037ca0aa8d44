"""Statistics, escape routes and places: official figures linked both ways with the testimonies."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from archive.statistics.forms import ArrivalsConfirmForm, ArrivalsUploadForm, ArrivalsYearForm
from archive.policy import access
from archive.statistics import routes as context
from archive.statistics import figures as statistics
from archive.core.audit import record_refusal
from archive.core.errors import DomainError
from archive.statistics.data import ARRIVALS, DatasetError, dataset_keys

bp = Blueprint("statistics", __name__)


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 to everyone but administrators; log refusals of signed-in users."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not statistics.can_edit_statistics(current_user):
            if current_user.is_authenticated:
                record_refusal("statistics.update", reason="not an administrator")
            abort(404)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/statistics")
def index() -> str:
    return render_template("statistics/index.html", page=statistics.statistics_page(),
                           can_edit=statistics.can_edit_statistics(current_user))


@bp.get("/statistics/<key>.csv")
def download(key: str) -> Response:
    if key not in dataset_keys():
        abort(404)
    body = statistics.safe_csv(statistics.current_table(key))
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{key}.csv"'})


@bp.get("/statistics/admin")
@admin_only
def admin() -> str:
    return _admin_page(ArrivalsYearForm(), ArrivalsUploadForm())


def _admin_page(year_form: ArrivalsYearForm, upload_form: ArrivalsUploadForm,
                problems: list[tuple[int | None, str]] | None = None, status: int = 200) -> Any:
    return render_template("statistics/admin.html", year_form=year_form, upload_form=upload_form,
                           table=statistics.current_table(ARRIVALS), updated=statistics.last_update(ARRIVALS),
                           problems=problems or []), status


@bp.post("/statistics/admin/preview")
@admin_only
def preview() -> Any:
    year_form = ArrivalsYearForm() if "year" in request.form else ArrivalsYearForm(formdata=None)
    upload_form = ArrivalsUploadForm(formdata=None) if "year" in request.form else ArrivalsUploadForm()
    text = _submitted_csv(year_form, upload_form)
    if text is None:
        return _admin_page(year_form, upload_form, status=422)
    try:
        result = statistics.preview_arrivals(text)
    except DatasetError as error:
        return _admin_page(year_form, upload_form, error.problems, 422)
    confirm = ArrivalsConfirmForm(formdata=None, csv_text=result.csv_text, base=result.base)
    return render_template("statistics/confirm.html", preview=result, form=confirm)


def _submitted_csv(year_form: ArrivalsYearForm, upload_form: ArrivalsUploadForm) -> str | None:
    """The CSV text of whichever form was sent; None leaves errors on that form."""
    if "year" in request.form:
        if not year_form.validate_on_submit():
            return None
        return statistics.year_csv(year_form.year.data, year_form.male.data, year_form.female.data,
                                   year_form.note.data or "")
    return upload_form.csv_content() if upload_form.validate_on_submit() else None


@bp.post("/statistics/admin/confirm")
@admin_only
def confirm() -> Any:
    form = ArrivalsConfirmForm()
    if not form.validate_on_submit():
        flash(_("The confirmation was incomplete; please upload the figures again."), "error")
        return redirect(url_for("statistics.admin"))
    try:
        result = statistics.save_arrivals(form.csv_text.data, form.base.data)
    except DatasetError as error:
        return _admin_page(ArrivalsYearForm(formdata=None), ArrivalsUploadForm(formdata=None), error.problems, 422)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("statistics.admin"))
    flash(ngettext("Arrivals table saved (%(count)s change); as of %(as_of)s.",
                   "Arrivals table saved (%(count)s changes); as of %(as_of)s.", len(result.changes),
                   count=len(result.changes), as_of=result.table.as_of), "success")
    return redirect(url_for("statistics.index") + "#arrivals")


@bp.get("/routes")
def routes() -> str:
    svg, table = context.distance_chart()
    return render_template("statistics/routes.html", countries=context.route_countries(),
                           diagram=context.route_diagram(), distance_svg=svg, distance_table=table,
                           data=context.routes_data())


@bp.get("/places/")
def places() -> str:
    return render_template("statistics/places.html", groups=context.place_index())


@bp.get("/places/<slug>")
def place(slug: str) -> str:
    p = context.place_or_404(slug)
    found = context.place_testimonies(p, current_user)
    protect = access.audience_for(current_user) == access.PUBLIC
    return render_template("statistics/place.html", place=p, found=found,
                           count_label=context.count_label(len(found), protect),
                           province_url=statistics.search_url("province", p.slug) if p.kind == "province" else None,
                           query_url=url_for("search.search", q=context.place_query(p)))
