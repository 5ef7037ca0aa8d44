"""The OAI-PMH 2.0 endpoint for metadata harvesters (GET, or POST as the protocol allows)."""
from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from archive.core.extensions import csrf
from archive.interop import oai_protocol

bp = Blueprint("oai", __name__)


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt  # a read-only protocol endpoint: POST is just another way to send the query
def endpoint() -> Response:
    params = request.form if request.method == "POST" else request.args
    body = oai_protocol.respond(params, url_for("oai.endpoint", _external=True), request.host)
    return Response(body, mimetype="text/xml", headers={"Cache-Control": "no-store"})
