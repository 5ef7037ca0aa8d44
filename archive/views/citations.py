"""Citations of testimonies: BibTeX and CSL-JSON downloads, and the data of the citation box."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response
from flask_login import current_user

from archive.models import Testimony
from archive.services import catalog, citations, oai

bp = Blueprint("citations", __name__)


@bp.get("/testimonies/<int:testimony_id>/cite.bib")
def bibtex(testimony_id: int) -> Response:
    t = catalog.visible_testimony_or_404(current_user, testimony_id)
    return _download(citations.cite(t).bibtex, "application/x-bibtex", f"testimony-{t.id}.bib")


@bp.get("/testimonies/<int:testimony_id>/cite.json")
def csl_json(testimony_id: int) -> Response:
    t = catalog.visible_testimony_or_404(current_user, testimony_id)
    body = json.dumps([citations.cite(t).csl], ensure_ascii=False, indent=2)
    return _download(body, "application/vnd.citationstyles.csl+json", f"testimony-{t.id}.json")


def _download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"})


@bp.app_template_global("citation_for")
def citation_for(testimony: Testimony) -> citations.Citation:
    """The citation box of a testimony page (the page has already checked access)."""
    return citations.cite(testimony)


@bp.app_template_global("dublin_core_for")
def dublin_core_for(testimony: Testimony) -> dict[str, Any]:
    """Dublin Core of a testimony page for <meta name="DC.*"> tags: what harvesters get, plus the permalink."""
    metadata = oai.describe(testimony)
    metadata["identifier"] = [citations.permalink(testimony)]
    return metadata
