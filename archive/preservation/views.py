"""The curators' fixity page: the last check of every stored file and the recent failures."""
from __future__ import annotations

from flask import Blueprint, render_template

from archive.policy.guards import curators_area
from archive.preservation import fixity

bp = Blueprint("preservation", __name__, url_prefix="/curate/fixity")


curators_area(bp)


@bp.get("/")
def fixity_page() -> str:
    files = fixity.latest_checks()
    return render_template("preservation/fixity.html", files=files, failures=fixity.recent_failures(),
                           failing=sum(1 for f in files if f.last is not None and f.last.failed),
                           unchecked=sum(1 for f in files if f.last is None))
