"""The embeddable player, /embed/testimonies/<id>: the one page other sites may frame (public testimonies only)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template, request, url_for
from markupsafe import escape

from archive.core.security import allow_framing
from archive.policy.protected import TestimonyView
from archive.public import embedding

bp = Blueprint("embed", __name__)


@bp.get("/embed/testimonies/<int:testimony_id>")
def testimony(testimony_id: int) -> Response:
    """The public recording with its synced transcript and chapters, compact; ``?t=START[,END]`` plays a stretch."""
    view = embedding.embeddable_view(testimony_id)
    if view is None:
        abort(404)  # the ordinary 404 page, which no other site may frame
    player = embedding.embed_player(view, request.args.get("t"))
    page = render_template("public/embed.html", t=view, segments=view.segments, ctx=player)
    return allow_framing(make_response(page))


@bp.app_template_global()
def embed_code(view: TestimonyView) -> str | None:
    """The <iframe> other sites paste to embed this testimony's player, or None when it has no embed."""
    if view.model.id is None or embedding.embeddable_view(view.model.id) is None:
        return None
    src = url_for("embed.testimony", testimony_id=view.model.id, _external=True)
    return (f'<iframe src="{escape(src)}" title="{escape(view.title)}" width="100%" '
            f'height="{embedding.EMBED_HEIGHT}" loading="lazy" allow="autoplay; fullscreen"></iframe>')
