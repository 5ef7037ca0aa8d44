"""OAI-PMH 2.0 protocol pieces with no database: arguments, dates, resumption tokens and XML.

See http://www.openarchives.org/OAI/openarchivesprotocol.html. The service
`archive.interop.oai_protocol` puts these together with the archive's records.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DC_ELEMENTS = ("title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
               "format", "identifier", "source", "language", "relation", "coverage", "rights")
METADATA_FORMATS = {"oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS)}

# verb → (required arguments, optional arguments); "resumptionToken" is always exclusive.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set", "resumptionToken"})),
}
METADATA_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# Characters XML 1.0 cannot carry at all; dropped from every text value.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class OaiError(Exception):
    """A protocol error, answered as <error code="...">message</error>."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class OaiRequest:
    """A validated request: its verb and single-valued arguments."""

    verb: str
    args: dict[str, str] = field(default_factory=dict)


def parse_request(params: MultiDict[str, str] | Mapping[str, Any]) -> OaiRequest:
    """Check verb and arguments as section 3.1 demands; raises OaiError (badVerb, badArgument)."""
    multi = params if isinstance(params, MultiDict) else MultiDict(params)
    verbs = multi.getlist("verb")
    if len(verbs) != 1:
        raise OaiError("badVerb", "The verb argument is missing." if not verbs else "The verb argument is repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"'{verb}' is not an OAI-PMH verb; use one of {', '.join(VERBS)}.")
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for name in multi:
        if name == "verb":
            continue
        values = multi.getlist(name)
        if name not in required | optional:
            raise OaiError("badArgument", f"{verb} does not take the argument '{name}'.")
        if len(values) > 1:
            raise OaiError("badArgument", f"The argument '{name}' is repeated.")
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument: send it alone with the verb.")
        return OaiRequest(verb, args)
    missing = sorted(required - set(args))
    if missing:
        raise OaiError("badArgument", f"{verb} requires the argument{'s' if len(missing) > 1 else ''} "
                                      f"{', '.join(missing)}.")
    if "metadataPrefix" in args and not METADATA_PREFIX.fullmatch(args["metadataPrefix"]):
        raise OaiError("badArgument", f"'{args['metadataPrefix']}' is not a valid metadataPrefix.")
    if "set" in args and not SET_SPEC.fullmatch(args["set"]):
        raise OaiError("badArgument", f"'{args['set']}' is not a valid setSpec.")
    date_range(args.get("from"), args.get("until"))
    return OaiRequest(verb, args)


def parse_datestamp(value: str, name: str, end_of_day: bool = False) -> tuple[datetime, str]:
    """A from/until value as a naive UTC datetime, with its granularity."""
    try:
        if _SECOND.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"), "second"
        if _DAY.fullmatch(value):
            day = datetime.strptime(value, "%Y-%m-%d")
            return (day + timedelta(days=1, seconds=-1) if end_of_day else day), "day"
    except ValueError:
        pass
    raise OaiError("badArgument", f"'{name}' must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ); "
                                  f"got '{value}'.")


def date_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive bounds of a selective harvest; both granularities must agree and from ≤ until."""
    lower = parse_datestamp(start, "from") if start is not None else None
    upper = parse_datestamp(end, "until", end_of_day=True) if end is not None else None
    if lower and upper:
        if lower[1] != upper[1]:
            raise OaiError("badArgument", "'from' and 'until' must have the same granularity.")
        if lower[0] > upper[0]:
            raise OaiError("badArgument", "'from' is later than 'until'.")
    return (lower[0] if lower else None), (upper[0] if upper else None)


def datestamp(value: datetime) -> str:
    """A UTC datetime in the protocol's seconds granularity."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- resumption tokens ------------------------------------------------------------------------------

class TokenCodec:
    """Stateless resumption tokens: the list arguments and position, signed and time-limited."""

    def __init__(self, secret: str, max_age: int) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="oai-pmh-resumption")
        self.max_age = max_age

    def dump(self, verb: str, args: dict[str, str], after_id: int, cursor: int) -> str:
        return self.serializer.dumps({"verb": verb, "args": args, "after": after_id, "cursor": cursor})

    def load(self, verb: str, token: str) -> tuple[dict[str, str], int, int]:
        """The original arguments, the last id served and the cursor; raises badResumptionToken."""
        try:
            data = self.serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise OaiError("badResumptionToken", "The resumption token has expired; start the list again.") from None
        except BadSignature:
            raise OaiError("badResumptionToken", "The resumption token is not valid.") from None
        if not isinstance(data, dict) or data.get("verb") != verb or not isinstance(data.get("args"), dict):
            raise OaiError("badResumptionToken", f"The resumption token does not belong to {verb}.")
        return dict(data["args"]), int(data["after"]), int(data["cursor"])


# -- XML ----------------------------------------------------------------------------------------------

ET.register_namespace("", OAI_NS)
ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)


def _q(name: str, ns: str = OAI_NS) -> str:
    return f"{{{ns}}}{name}"


def clean_text(value: str) -> str:
    """Text XML can carry."""
    return _NOT_XML.sub("", value)


def sub(parent: ET.Element, name: str, text: str | None = None, ns: str = OAI_NS, **attrs: str) -> ET.Element:
    """Append a child element."""
    element = ET.SubElement(parent, _q(name, ns), {k: clean_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean_text(text)
    return element


def envelope(base_url: str, response_date: datetime, request_args: dict[str, str] | None) -> ET.Element:
    """The OAI-PMH root with responseDate and request; request_args None leaves the attributes out."""
    root = ET.Element(_q("OAI-PMH"), {_q("schemaLocation", XSI_NS): f"{OAI_NS} {OAI_SCHEMA}"})
    sub(root, "responseDate", datestamp(response_date))
    sub(root, "request", base_url, **(request_args or {}))
    return root


def error_response(root: ET.Element, error: OaiError) -> ET.Element:
    """Add an error element."""
    sub(root, "error", error.message, code=error.code)
    return root


def header(parent: ET.Element, identifier: str, stamp: datetime, set_specs: list[str], deleted: bool) -> None:
    """A record header; a deleted record's carries status="deleted"."""
    element = sub(parent, "header", **({"status": "deleted"} if deleted else {}))
    sub(element, "identifier", identifier)
    sub(element, "datestamp", datestamp(stamp))
    for spec in set_specs:
        sub(element, "setSpec", spec)


def oai_dc(parent: ET.Element, metadata: dict[str, list[str]]) -> None:
    """<metadata><oai_dc:dc>…</oai_dc:dc></metadata>, elements in the Dublin Core order."""
    container = sub(parent, "metadata")
    dc = sub(container, "dc", ns=OAI_DC_NS, **{_q("schemaLocation", XSI_NS): f"{OAI_DC_NS} {OAI_DC_SCHEMA}"})
    for name in DC_ELEMENTS:
        for value in metadata.get(name, []):
            if value:
                sub(dc, name, value, ns=DC_NS)


def resumption_token(parent: ET.Element, token: str, complete_size: int, cursor: int,
                     expires: datetime | None) -> None:
    """A resumptionToken element; an empty token marks the last page of a split list."""
    attrs = {"cursor": str(cursor)}
    if complete_size > 0:
        attrs["completeListSize"] = str(complete_size)
    if token and expires is not None:
        attrs["expirationDate"] = datestamp(expires)
    sub(parent, "resumptionToken", token, **attrs)


def serialize(root: ET.Element) -> bytes:
    """The document as UTF-8 bytes with an XML declaration."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
