"""Hear the Defectors: the listening landing page and transcript downloads (WebVTT, plain text)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from archive.core.security import share_with_other_sites
from archive.models import Testimony
from archive.policy import access
from archive.public import catalog
from archive.interop import exchange
from archive.public import hear as landing
from archive.formats.transcripts import to_plain_text

bp = Blueprint("listen", __name__)


@bp.get("/hear/")
def hear() -> str:
    """Featured and recent recordings, browsable by topic, route country and decade of arrival."""
    page = landing.landing(current_user, landing.HearQuery.from_args(request.args))
    return render_template("public/hear.html", page=page)


@bp.get("/testimonies/<int:testimony_id>/transcript.vtt")
def transcript_vtt(testimony_id: int) -> Response:
    """The transcript as WebVTT captions with speaker voices: restricted passages only for staff, and marked.

    ``?lang=ko`` keeps only the passages in that language (the per-language captions of the IIIF manifest);
    ``?as=public`` gives the public's captions whoever asks (the embeddable player's track: a curator's login
    must not bring restricted passages into a page framed by another site).
    """
    reader = None if request.args.get("as") == "public" else current_user
    t = _transcript_or_404(testimony_id, reader)
    try:
        body = exchange.webvtt(reader, t, (request.args.get("lang") or "").strip().lower()[:20] or None)
    except exchange.NotFound:
        abort(404)
    response = _download(body, "text/vtt", f"testimony-{t.id}.vtt")
    if exchange.captions_are_public(reader, t):
        share_with_other_sites(response.headers)  # IIIF players on other sites load the captions
    return response


@bp.get("/testimonies/<int:testimony_id>/transcript.txt")
def transcript_txt(testimony_id: int) -> Response:
    """The transcript as '[00:01:23] Speaker: text' lines."""
    t = _transcript_or_404(testimony_id, current_user)
    segments = exchange.export_segments(current_user, t)  # speaker labels as the access policy shows them
    body = to_plain_text(segments, t.title, include_restricted=access.is_user_staff(current_user))
    response = _download(body, "text/plain", f"testimony-{t.id}.txt")
    if exchange.captions_are_public(current_user, t):
        share_with_other_sites(response.headers)  # the IIIF manifest offers it as a rendering
    return response


def _transcript_or_404(testimony_id: int, reader: Any) -> Testimony:
    t = catalog.visible_testimony_or_404(reader, testimony_id)
    if not access.can_read_transcript(reader, t) or not t.segments:
        abort(404)
    return t


def _download(body: str, mimetype: str, filename: str) -> Response:
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Never cached: a passage a curator restricts must disappear at once, everywhere.
    response.headers["Cache-Control"] = "no-store, private"
    return response
