"""Answer OAI-PMH requests from the tracked records: the six verbs, paging and errors."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from flask import current_app, url_for

from archive.formats import oaipmh
from archive.models.oai import OaiRecord
from archive.formats.oaipmh import OaiError, OaiRequest
from archive.interop import oai

DEFAULT_ADMIN_EMAIL = "archive@example.org"


def respond(params: Any, base_url: str, host: str) -> bytes:
    """The XML answer to one request (GET query or POST form); protocol errors are part of it."""
    stamp = oai.now()
    try:
        request = oaipmh.parse_request(params)
    except OaiError as error:
        # badVerb and badArgument: the request element carries no attributes (section 3.2).
        return oaipmh.serialize(oaipmh.error_response(oaipmh.envelope(base_url, stamp, None), error))
    root = oaipmh.envelope(base_url, stamp, {"verb": request.verb, **request.args})
    try:
        oai.sync_if_due()
        _VERBS[request.verb](root, request, _Context(host, base_url))
    except OaiError as error:
        root = oaipmh.envelope(base_url, stamp, None if error.code in ("badArgument", "badVerb")
                               else {"verb": request.verb, **request.args})
        oaipmh.error_response(root, error)
    return oaipmh.serialize(root)


class _Context:
    """Per-request settings: repository identifier, page size, token codec."""

    def __init__(self, host: str, base_url: str) -> None:
        config = current_app.config
        self.base_url = base_url
        self.repository_id = config.get("OAI_REPOSITORY_ID") or host.split(":")[0] or "localhost"
        self.page_size = max(1, int(config.get("OAI_PAGE_SIZE", 50)))
        self.token_ttl = int(config.get("OAI_TOKEN_SECONDS", 24 * 3600))
        self.codec = oaipmh.TokenCodec(config["SECRET_KEY"], self.token_ttl)

    def identifier(self, row: OaiRecord) -> str:
        return f"oai:{self.repository_id}:{row.identifier}"

    def local_identifier(self, identifier: str) -> str | None:
        prefix = f"oai:{self.repository_id}:"
        return identifier[len(prefix):] if identifier.startswith(prefix) else None


def _identify(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    element = oaipmh.sub(root, "Identify")
    oaipmh.sub(element, "repositoryName", oai.repository_name())
    oaipmh.sub(element, "baseURL", ctx.base_url)
    oaipmh.sub(element, "protocolVersion", "2.0")
    oaipmh.sub(element, "adminEmail", current_app.config.get("OAI_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL)
    oaipmh.sub(element, "earliestDatestamp", oaipmh.datestamp(oai.earliest_datestamp()))
    oaipmh.sub(element, "deletedRecord", "persistent")
    oaipmh.sub(element, "granularity", oaipmh.GRANULARITY)


def _list_metadata_formats(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    if "identifier" in request.args:
        _record_or_error(request.args["identifier"], ctx)
    element = oaipmh.sub(root, "ListMetadataFormats")
    for prefix, (schema, namespace) in oaipmh.METADATA_FORMATS.items():
        fmt = oaipmh.sub(element, "metadataFormat")
        oaipmh.sub(fmt, "metadataPrefix", prefix)
        oaipmh.sub(fmt, "schema", schema)
        oaipmh.sub(fmt, "metadataNamespace", namespace)


def _list_sets(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    if "resumptionToken" in request.args:
        # All sets fit in one answer, so this list never hands out tokens.
        raise OaiError("badResumptionToken", "ListSets never issues resumption tokens; this one is not valid.")
    element = oaipmh.sub(root, "ListSets")
    for spec, name in oai.sets():
        entry = oaipmh.sub(element, "set")
        oaipmh.sub(entry, "setSpec", spec)
        oaipmh.sub(entry, "setName", name)


def _get_record(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    _check_prefix(request.args["metadataPrefix"])
    row = _record_or_error(request.args["identifier"], ctx)
    element = oaipmh.sub(root, "GetRecord")
    _write_records(element, [row], ctx, with_metadata=True)


def _list(root: ET.Element, request: OaiRequest, ctx: _Context, with_metadata: bool) -> None:
    args, after_id, cursor = dict(request.args), 0, 0
    if "resumptionToken" in args:
        args, after_id, cursor = ctx.codec.load(request.verb, args["resumptionToken"])
    _check_prefix(args.get("metadataPrefix", ""))
    start, end = oaipmh.date_range(args.get("from"), args.get("until"))
    set_spec = args.get("set")
    if set_spec and set_spec not in {spec for spec, _ in oai.sets()}:
        raise OaiError("noRecordsMatch", f"There is no set '{set_spec}'; ListSets names them all.")
    rows, total, more = oai.records_page(start, end, set_spec, after_id, ctx.page_size)
    if not rows:
        raise OaiError("noRecordsMatch", "No records match these arguments.")
    element = oaipmh.sub(root, request.verb)
    _write_records(element, rows, ctx, with_metadata)
    if more:
        token = ctx.codec.dump(request.verb, args, rows[-1].id, cursor + len(rows))
        expires = oai.now() + timedelta(seconds=ctx.token_ttl)
        oaipmh.resumption_token(element, token, total, cursor, expires)
    elif cursor:
        oaipmh.resumption_token(element, "", total, cursor, None)


def _list_identifiers(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    _list(root, request, ctx, with_metadata=False)


def _list_records(root: ET.Element, request: OaiRequest, ctx: _Context) -> None:
    _list(root, request, ctx, with_metadata=True)


def _check_prefix(prefix: str) -> None:
    if prefix not in oaipmh.METADATA_FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       f"The metadata format '{prefix}' is not offered; ListMetadataFormats names them.")


def _record_or_error(identifier: str, ctx: _Context) -> OaiRecord:
    """A tracked record; anything never exposed answers exactly like an unknown identifier."""
    local = ctx.local_identifier(identifier)
    row = oai.record(local) if local else None
    if row is None:
        raise OaiError("idDoesNotExist", "No record has this identifier.")
    return row


def _write_records(parent: ET.Element, rows: list[OaiRecord], ctx: _Context, with_metadata: bool) -> None:
    live = oai.testimonies_for(rows)  # public protected views: the records' content comes from them only
    for row in rows:
        view = live.get(row.testimony_id) if row.testimony_id is not None else None
        # A row the last pass saw as public whose testimony has since left is already a deletion.
        deleted = row.deleted or view is None
        if with_metadata:
            target = oaipmh.sub(parent, "record")
            oaipmh.header(target, ctx.identifier(row), row.datestamp, row.set_specs, deleted)
            if view is not None and not deleted:
                metadata = oai.describe(view)
                metadata["identifier"] = [url_for("public.testimony", testimony_id=view.id, _external=True)]
                oaipmh.oai_dc(target, metadata)
        else:
            oaipmh.header(parent, ctx.identifier(row), row.datestamp, row.set_specs, deleted)


_VERBS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}
