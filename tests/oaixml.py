"""Helpers for the OAI-PMH tests: schema validation against the vendored XSDs, and reading answers."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "data" / "xsd"
NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "dc": "http://purl.org/dc/elements/1.1/"}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """OAI-PMH.xsd with oai_dc.xsd, simpledc and xml.xsd, all local (no network)."""
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "oai-pmh-with-dc.xsd"), parser))


def validate(body: bytes) -> etree._Element:
    """Parse an answer and assert it is valid OAI-PMH (metadata included); returns the root."""
    root = etree.fromstring(body, etree.XMLParser(no_network=True, resolve_entities=False))
    validator = schema()
    assert validator.validate(root), f"{validator.error_log}\n{body.decode()[:3000]}"
    return root


def error_code(root: etree._Element) -> str | None:
    element = root.find("oai:error", NS)
    return None if element is None else element.get("code")


def identifiers(root: etree._Element) -> list[str]:
    return [e.text for e in root.iterfind(".//oai:header/oai:identifier", NS)]


def normalized(body: bytes, *identifiers_: str) -> str:
    """The answer with its responseDate and the given identifiers blanked, to compare two answers."""
    text = re.sub(r"<responseDate>[^<]*</responseDate>", "<responseDate/>", body.decode())
    for identifier in identifiers_:
        text = text.replace(identifier, "{identifier}")
    return text
