"""Citations of testimonies: BibTeX and CSL-JSON downloads (the citation box is part of the listening page).

All of them are built from the reader's protected view of the testimony (archive/policy/protected.py).
"""
from __future__ import annotations

import json

from flask import Blueprint, Response
from flask_login import current_user

from archive.public import catalog
from archive.interop import citations

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
