"""Exchange formats: IIIF manifests and OHMS XML downloads, and the curator's OHMS import.

Hidden testimonies, and testimonies with nothing the reader may have in that format, answer
exactly like a missing one (the same 404 page).
"""
from __future__ import annotations

import gzip
import json

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from archive.core.extensions import db
from archive.core.security import share_with_other_sites
from archive.curation.editor_page import edit_page
from archive.interop.forms import OhmsImportForm
from archive.formats.iiif import MEDIA_TYPE
from archive.models import Testimony
from archive.formats.ohms import OhmsError
from archive.public import catalog
from archive.interop import exchange
from archive.core.errors import ConflictError, ValidationError
from archive.policy.guards import curators_only

bp = Blueprint("exchange", __name__)

PRIVATE_CACHE = "no-store, private"
GZIP_MIN_BYTES = 1024  # below this, gzip's header costs more than it saves


@bp.get("/iiif/testimonies/<int:testimony_id>/manifest.json")
def manifest(testimony_id: int) -> Response:
    """The IIIF Presentation 3 manifest of a recording the reader may hear."""
    view = catalog.testimony_view_or_404(current_user, testimony_id)
    try:
        data = exchange.manifest(current_user, view)
    except exchange.NotFound:
        abort(404)
    response = _compressed(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    response.headers["Content-Type"] = MEDIA_TYPE
    # Never cached: a passage restricted or a consent withdrawn must disappear at once, everywhere.
    response.headers["Cache-Control"] = PRIVATE_CACHE
    if exchange.is_public(view) and not view.staff:
        # Viewers on other sites may load public manifests; no credentials travel with "*".
        share_with_other_sites(response.headers)
    return response


def _compressed(body: bytes) -> Response:
    """The body gzipped when the client accepts it (a manifest shrinks to about a tenth), else as it is."""
    response = Response(body)
    response.vary.add("Accept-Encoding")
    if len(body) >= GZIP_MIN_BYTES and request.accept_encodings["gzip"]:
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


@bp.get("/testimonies/<int:testimony_id>/ohms.xml")
def ohms_xml(testimony_id: int) -> Response:
    """The OHMS XML (index points, transcript) of a testimony whose transcript the reader may read."""
    view = catalog.testimony_view_or_404(current_user, testimony_id)
    try:
        body = exchange.ohms_export(current_user, view)
    except exchange.NotFound:
        abort(404)
    response = Response(body, mimetype="application/xml")
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="testimony-{view.id}-ohms.xml"'
    response.headers["Cache-Control"] = PRIVATE_CACHE
    return response


@bp.post("/curate/testimonies/<int:testimony_id>/ohms")
@curators_only
def import_ohms(testimony_id: int) -> BaseResponse | tuple[str, int]:
    """Replace the chapters (and optionally the transcript) from an OHMS XML file."""
    t = db.get_or_404(Testimony, testimony_id)
    form = OhmsImportForm(prefix="ohms")
    if not form.validate():
        return edit_page(t, 400, "ohms", ohms=form)
    upload = form.file.data
    try:
        result = exchange.import_ohms(t, upload.read(), form.version.data, with_transcript=bool(form.transcript.data),
                                      source=upload.filename or "OHMS XML")
    except OhmsError as error:
        form.file.errors = [*form.file.errors, *error.messages()]
        return edit_page(t, 400, "ohms", ohms=form)
    except ValidationError as error:
        db.session.rollback()
        form.file.errors = [*form.file.errors, *[f"{key}: {msg}" if key not in ("file", "__all__") else msg
                                                 for key, msgs in error.errors.items() for msg in msgs]]
        return edit_page(t, 400, "ohms", ohms=form)
    except ConflictError as error:
        db.session.rollback()
        return edit_page(t, 409, "ohms", conflict=error, ohms=form)
    parts = []
    if result.chapters is not None:
        parts.append(_("%(n)s chapters", n=result.chapters))
    if result.segments is not None:
        parts.append(_("%(n)s transcript segments", n=result.segments))
    flash(_("OHMS file imported: %(what)s replaced the old ones.", what=", ".join(parts)), "info")
    return redirect(url_for("curator.edit_testimony", testimony_id=t.id, _anchor="ohms"))
