"""Citations of testimonies: BibTeX and CSL-JSON downloads, and the data of the citation box.

All of them are built from the reader's protected view of the testimony (archive/policy/protected.py).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort
from flask_login import current_user

from archive.models import Testimony
from archive.policy import protected
from archive.policy.protected import TestimonyView
from archive.public import catalog
from archive.interop import citations
from archive.interop import oai

bp = Blueprint("citations", __name__)


@bp.get("/testimonies/<int:testimony_id>/cite.bib")
def bibtex(testimony_id: int) -> Response:
    view = catalog.testimony_view_or_404(current_user, testimony_id)
    return _download(citations.cite(view).bibtex, "application/x-bibtex", f"testimony-{view.id}.bib")


@bp.get("/testimonies/<int:testimony_id>/cite.json")
def csl_json(testimony_id: int) -> Response:
    view = catalog.testimony_view_or_404(current_user, testimony_id)
    body = json.dumps([citations.cite(view).csl], ensure_ascii=False, indent=2)
    return _download(body, "application/vnd.citationstyles.csl+json", f"testimony-{view.id}.json")


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"})


def _reader_view(testimony: Testimony | TestimonyView) -> TestimonyView:
    """The current reader's view (the page has already checked access; a hidden record still answers 404)."""
    model = testimony.model if isinstance(testimony, TestimonyView) else testimony
    view = protected.testimony_view(current_user, model)
    if view is None:
        abort(404)
    return view


@bp.app_template_global("citation_for")
def citation_for(testimony: Testimony | TestimonyView) -> citations.Citation:
    """The citation box of a testimony page, from the reader's protected view."""
    return citations.cite(_reader_view(testimony))


@bp.app_template_global("dublin_core_for")
def dublin_core_for(testimony: Testimony | TestimonyView) -> dict[str, Any]:
    """Dublin Core of a testimony page for <meta name="DC.*"> tags: the reader's view, plus the permalink."""
    view = _reader_view(testimony)
    metadata = oai.describe(view)
    metadata["identifier"] = [citations.permalink(view)]
    return metadata
