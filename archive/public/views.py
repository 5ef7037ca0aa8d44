"""Public pages: home, testimony list, testimony and narrator pages."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from archive.core.paging import page_number
from archive.models import LANGUAGES
from archive.public import catalog
from archive.public import hear, listening
from archive.themes import pages as themes
from archive.statistics.data import ARRIVALS

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    featured, recent = catalog.featured_and_recent(current_user)
    locale = themes.interface_locale()
    landing = hear.landing(current_user, hear.HearQuery())
    return render_template("public/home.html", featured=featured, recent=recent,
                           total=catalog.count_visible(current_user), themes=themes.list_themes(), locale=locale,
                           localized=themes.localized, arrivals=themes.related_figures([ARRIVALS], locale)[0],
                           listen_cards=(landing.featured or landing.cards)[:3])


@bp.get("/testimonies/")
def testimonies() -> str:
    query = catalog.ListQuery.from_args(request.args)
    pagination = catalog.list_testimonies(current_user, page=page_number(request.args), query=query)
    return render_template("public/testimonies.html", pagination=pagination, query=query,
                           sorts=catalog.LIST_SORTS, topics=catalog.topic_choices(), languages=LANGUAGES)


@bp.get("/testimonies/<int:testimony_id>")
def testimony(testimony_id: int) -> str:
    view = catalog.testimony_view_or_404(current_user, testimony_id)
    ctx = listening.listening_page(current_user, view, start_param=request.args.get("t"),
                                   autoplay=request.args.get("autoplay") == "1", query=request.args.get("q"))
    return render_template("public/testimony.html", t=view, segments=view.segments, ctx=ctx)


@bp.get("/narrators/<int:narrator_id>")
def narrator(narrator_id: int) -> str:
    profile, testimonies = catalog.narrator_or_404(current_user, narrator_id)
    return render_template("public/narrator.html", n=profile, testimonies=testimonies)
