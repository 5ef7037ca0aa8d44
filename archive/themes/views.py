"""Context themes: the public theme pages and their curator editor (curators and admins only)."""
from __future__ import annotations


from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from archive.core.extensions import db
from archive.themes import forms as forms
from archive.models.themes import Theme
from archive.policy import access
from archive.themes import pages as themes
from archive.core.errors import ConflictError, ValidationError
from archive.core.vocabulary import all_topics
from archive.statistics.data import dataset_keys, load_table
from archive.policy.guards import curators_only

bp = Blueprint("themes", __name__)

Page = str | tuple[str, int] | Response


# ---------------------------------------------------------------- public pages

@bp.get("/themes/")
def index() -> str:
    locale = themes.interface_locale()
    return render_template("themes/index.html", themes=themes.list_themes(), locale=locale,
                           localized=themes.localized)


@bp.get("/themes/<slug>")
def detail(slug: str) -> str:
    theme = themes.theme_or_404(slug)
    locale = themes.interface_locale()
    found, count = themes.public_testimonies(theme)
    title, title_lang = themes.localized(theme, "title", locale)
    summary, summary_lang = themes.localized(theme, "summary", locale)
    body, body_lang = themes.localized(theme, "body", locale)
    return render_template(
        "themes/detail.html", theme=theme, locale=locale, title=title, title_lang=title_lang, summary=summary,
        summary_lang=summary_lang, body=themes.render_body(body, locale), body_lang=body_lang,
        testimonies=found, count=themes.protected_count(count), search_url=themes.search_url(theme),
        figures=themes.related_figures(list(theme.statistics_keys or []), locale), places=theme.places,
        can_edit=access.can_edit(current_user))


# ---------------------------------------------------------------- curator editor

def _with_choices(form: forms.ThemeForm) -> forms.ThemeForm:
    form.topics.choices = [(t.slug, f"{t.label_en} · {t.label_ko}") for t in all_topics(keep=form.topics.data or [])]
    form.statistics.choices = [(key, load_table(key).title) for key in dataset_keys()]
    form.places.choices = [(p.slug, f"{p.name_en} ({p.name_ko})") for p in themes.place_choices()]
    return form


@bp.get("/curate/themes/")
@curators_only
def curate_index() -> str:
    return render_template("themes/curate_index.html", themes=themes.list_themes())


@bp.route("/curate/themes/new", methods=["GET", "POST"])
@curators_only
def new() -> Page:
    form = _with_choices(forms.NewThemeForm())
    if form.validate_on_submit():
        try:
            theme = themes.create_theme(form.values())
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Theme “%(title)s” created.", title=theme.title_en), "info")
            return redirect(url_for(".detail", slug=theme.slug))
    status = 400 if form.is_submitted() else 200
    return render_template("themes/edit.html", form=form, theme=None, source_format=themes.SOURCE_FORMAT), status


@bp.route("/curate/themes/<slug>", methods=["GET", "POST"])
@curators_only
def edit(slug: str) -> Page:
    theme = themes.theme_or_404(slug)
    form = _with_choices(forms.ThemeForm())
    if not form.is_submitted():
        form = _with_choices(forms.ThemeForm(formdata=None, data=forms.theme_data(
            theme, themes.format_sources(theme.sources))))
        return render_template("themes/edit.html", form=form, theme=theme, source_format=themes.SOURCE_FORMAT)
    conflict = None
    if form.validate():
        try:
            themes.update_theme(theme, form.values(), form.version.data)
        except ConflictError as error:
            db.session.rollback()
            conflict = error
        except ValidationError as error:
            db.session.rollback()
            forms.add_errors(form, error.errors)
        else:
            flash(_("Theme “%(title)s” saved.", title=theme.title_en), "info")
            return redirect(url_for(".detail", slug=theme.slug))
    theme = db.session.get(Theme, theme.id) or theme
    return render_template("themes/edit.html", form=form, theme=theme, conflict=conflict,
                           source_format=themes.SOURCE_FORMAT), 409 if conflict else 400
