"""The vocabulary pages of curators (/curate/vocabulary/…), and the redirects that keep old slugs working."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.models import PLACE_KINDS, VOCABULARIES, VocabularyRedirect
from archive.policy.guards import curators_area
from archive.vocabulary import forms, terms

bp = Blueprint("vocabulary", __name__, url_prefix="/curate/vocabulary")

Page = str | tuple[str, int] | Response

TITLES = {"topic": _l("Topics"), "place": _l("Places"), "occupation": _l("Occupations in the North"),
          "education": _l("Education"), "residence": _l("Regions of residence in the South")}
KIND_LABELS = {"province": _l("Province"), "city": _l("City"), "camp": _l("Camp"), "china": _l("Town in China"),
               "country": _l("Country")}
# Public addresses that carry vocabulary slugs: endpoint → {query parameter: vocabulary}, and path parameters.
QUERY_SLUGS = {
    "search.search": {"tag": "topic", "province": "place", "route": "place", "occupation": "occupation",
                      "education": "education", "residence": "residence"},
    "listen.hear": {"topic": "topic", "country": "place"},
    "api.testimonies": {"topic": "topic"},
}
QUERY_SLUGS["search.api_search"] = QUERY_SLUGS["api.search_csv"] = QUERY_SLUGS["search.search"]
PATH_SLUGS = {"statistics.place": ("slug", "place")}


@bp.before_app_request
def _old_slugs_redirect() -> Response | None:
    """Send an address holding the old slug of a renamed or merged term to the same address with the new one."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in QUERY_SLUGS | PATH_SLUGS:
        return None
    wanted = {(vocabulary, value) for name, vocabulary in QUERY_SLUGS.get(request.endpoint, {}).items()
              for value in request.args.getlist(name) if value}
    path = PATH_SLUGS.get(request.endpoint)
    if path and request.view_args:
        wanted.add((path[1], str(request.view_args.get(path[0], ""))))
    moved = _moved(wanted)
    if not moved:
        return None
    view_args = dict(request.view_args or {})
    if path and (path[1], view_args.get(path[0])) in moved:
        view_args[path[0]] = moved[(path[1], view_args[path[0]])]
    names = QUERY_SLUGS.get(request.endpoint, {})
    pairs = [(name, moved.get((names[name], value), value) if name in names else value)
             for name, values in request.args.lists() for value in values]
    target = url_for(request.endpoint, **view_args)
    return redirect(target + ("?" + urlencode(pairs) if pairs else ""), 301)


def _moved(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Old slug → the slug of the live term it now points to, for the pairs that moved."""
    if not wanted:
        return {}
    rows = db.session.execute(select(VocabularyRedirect.vocabulary, VocabularyRedirect.old_slug,
                                     VocabularyRedirect.target_id)
                              .where(VocabularyRedirect.vocabulary.in_({v for v, _slug in wanted}),
                                     VocabularyRedirect.old_slug.in_({slug for _v, slug in wanted}))).all()
    moved = {}
    for vocabulary, old_slug, _target in rows:
        if (vocabulary, old_slug) in wanted:
            term = terms.redirect_target(vocabulary, old_slug)
            if term is not None and terms.get_term(vocabulary, old_slug) is None:
                moved[(vocabulary, old_slug)] = term.slug
    return moved


# ---------------------------------------------------------------- curator pages

curators_area(bp)


@bp.get("/")
def index() -> str:
    counts = {vocabulary: len(terms.terms(vocabulary)) for vocabulary in VOCABULARIES}
    return render_template("vocabulary/index.html", vocabularies=VOCABULARIES, titles=TITLES, counts=counts)


@bp.get("/<vocabulary>")
def listing(vocabulary: str) -> str:
    _known(vocabulary)
    return render_template("vocabulary/list.html", vocabulary=vocabulary, title=TITLES[vocabulary],
                           terms=terms.terms(vocabulary), labels=terms.labels, kinds=KIND_LABELS)


@bp.route("/<vocabulary>/new", methods=["GET", "POST"])
def new(vocabulary: str) -> Page:
    _known(vocabulary)
    form = _term_form(vocabulary)
    if form.validate_on_submit():
        try:
            term = terms.add_term(vocabulary, form.values(vocabulary))
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("“%(label)s” added.", label=terms.labels(term)[0]), "info")
            return redirect(url_for(".listing", vocabulary=vocabulary))
    status = 400 if form.is_submitted() else 200
    return render_template("vocabulary/edit.html", vocabulary=vocabulary, title=TITLES[vocabulary], form=form,
                           term=None), status


@bp.route("/<vocabulary>/<slug>", methods=["GET", "POST"])
def edit(vocabulary: str, slug: str) -> Page:
    term = _term_or_redirect(vocabulary, slug)
    if isinstance(term, Response):
        return term
    if not request.method == "POST":
        return _edit_page(term, _term_form(vocabulary, forms.term_data(term)))
    form = _term_form(vocabulary)
    if form.validate():
        try:
            changes = terms.update_term(term, form.values(vocabulary))
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("“%(label)s” saved.", label=terms.labels(term)[0]) if changes else _("Nothing was changed."),
                  "info")
            return redirect(url_for(".edit", vocabulary=vocabulary, slug=term.slug))
    return _edit_page(db.session.get(type(term), term.id) or term, form, status=400)


@bp.post("/<vocabulary>/<slug>/merge")
def merge(vocabulary: str, slug: str) -> Page:
    term = _term_or_404(vocabulary, slug)
    form = _merge_form(term)
    if form.validate():
        target = terms.get_term(vocabulary, form.target.data)
        try:
            if target is None:
                raise ValidationError(_("Choose the term to merge into."), "target")
            retagged = terms.merge_terms(term, target)
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Merged into “%(label)s”; testimonies re-tagged: %(count)s. The old address now leads there.",
                    label=terms.labels(target)[0], count=len(retagged)), "info")
            return redirect(url_for(".edit", vocabulary=vocabulary, slug=target.slug))
    return _edit_page(term, _term_form(vocabulary, forms.term_data(term)), merge_form=form, status=400)


@bp.post("/<vocabulary>/<slug>/retire")
def retire(vocabulary: str, slug: str) -> Page:
    term = _term_or_404(vocabulary, slug)
    if not forms.RetireForm().validate_on_submit():
        abort(400)
    terms.set_retired(term, request.form.get("retired") == "1")
    flash(_("“%(label)s” retired: it stays on what it describes but is no longer offered.",
            label=terms.labels(term)[0]) if term.retired else
          _("“%(label)s” is offered again.", label=terms.labels(term)[0]), "info")
    return redirect(url_for(".edit", vocabulary=vocabulary, slug=term.slug))


def _edit_page(term: Any, form: forms.TermForm, merge_form: forms.MergeForm | None = None,
               status: int = 200) -> tuple[str, int]:
    vocabulary = terms.vocabulary_of(term)
    return render_template("vocabulary/edit.html", vocabulary=vocabulary, title=TITLES[vocabulary], form=form,
                           term=term, label=terms.labels(term)[0], usage=terms.usage(term),
                           merge_form=merge_form or _merge_form(term), retire_form=forms.RetireForm()), status


def _term_form(vocabulary: str, data: dict[str, Any] | None = None) -> forms.TermForm:
    form = forms.TermForm(formdata=None, data=data) if data is not None else forms.TermForm()
    if vocabulary == "place":
        del form.description
        form.kind.choices = [(kind, str(KIND_LABELS[kind])) for kind in PLACE_KINDS]
        form.parent.choices = [("", _("— none —"))] + [
            (p.slug, p.name_en + (f" ({p.name_ko})" if p.name_ko else ""))
            for p in terms.terms("place") if p.kind == "province"]
    else:
        for name in ("kind", "parent", "mccune_reischauer", "revised_romanization", "other_variants"):
            delattr(form, name)
        if vocabulary != "topic":
            del form.description
    return form


def _merge_form(term: Any) -> forms.MergeForm:
    form = forms.MergeForm()
    vocabulary = terms.vocabulary_of(term)
    form.target.choices = [("", _("— choose a term —"))] + [
        (other.slug, " · ".join(label for label in terms.labels(other) if label))
        for other in terms.terms(vocabulary)
        if other.id != term.id and getattr(other, "kind", None) == getattr(term, "kind", None)]
    return form


def _known(vocabulary: str) -> None:
    if vocabulary not in VOCABULARIES:
        abort(404)


def _term_or_404(vocabulary: str, slug: str) -> Any:
    _known(vocabulary)
    term = terms.get_term(vocabulary, slug)
    if term is None:
        abort(404)
    return term


def _term_or_redirect(vocabulary: str, slug: str) -> Any:
    _known(vocabulary)
    term = terms.get_term(vocabulary, slug)
    if term is not None:
        return term
    moved = terms.redirect_target(vocabulary, slug)
    if moved is None:
        abort(404)
    return redirect(url_for(".edit", vocabulary=vocabulary, slug=moved.slug), 301)
