"""Nothing restricted reaches metadata harvesters: every OAI-PMH verb probed for planted markers.

The route crawl of test_leaks.py already reaches the citation downloads (/testimonies/<id>/cite.*)
with every id; OAI-PMH needs query arguments, so it is walked here: Identify, ListSets, every list
(all pages, whole archive, by set and by date), and GetRecord / ListMetadataFormats for every
testimony id. A testimony that was never public must answer exactly like a made-up identifier; the
one withdrawn after publication may only appear as a deleted header.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from flask import Flask

from .probes import MISSING_ID, Prober, Stats
from .test_leaks import build_world
from .world import ROLES, role_client

NEVER_PUBLIC = ("restricted", "draft", "embargoed", "researchers", "restricted-shared")


def _oai(prober: Prober, surface: str, **params: str) -> str:
    response = prober.get("/oai?" + urlencode(params), surface)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return response.get_data(as_text=True)


def _walk(prober: Prober, verb: str, **params: str) -> str:
    """Every page of a list, following resumption tokens."""
    pages = [_oai(prober, f"oai {verb}", verb=verb, metadataPrefix="oai_dc", **params)]
    while (token := re.search(r"<resumptionToken[^>]*>([^<]+)</resumptionToken>", pages[-1])):
        pages.append(_oai(prober, f"oai {verb}", verb=verb, resumptionToken=token.group(1)))
    return "\n".join(pages)


def _blank(body: str, identifier: str) -> str:
    return re.sub(r"<responseDate>[^<]*</responseDate>", "", body).replace(identifier, "{identifier}")


@pytest.mark.parametrize("role", ROLES)
def test_no_marker_through_oai_pmh(app: Flask, role: str, leak_stats: Stats) -> None:
    app.config.update(OAI_PAGE_SIZE=2, OAI_FULL_SYNC_SECONDS=0, OAI_REPOSITORY_ID="")
    world = build_world()
    prober = Prober(app, role_client(app, role), role, world, leak_stats)
    before = len(leak_stats.leaks)
    problems: list[str] = []
    _oai(prober, "oai Identify", verb="Identify")
    _oai(prober, "oai ListSets", verb="ListSets")
    _oai(prober, "oai ListMetadataFormats", verb="ListMetadataFormats")
    everything = _walk(prober, "ListRecords")
    for params in ({}, {"set": f"topic:{world.hidden_tag}"}, {"set": "collection:archive"}, {"from": "2000-01-01"}):
        _walk(prober, "ListIdentifiers", **params)
    _walk(prober, "ListRecords", set=f"topic:{world.hidden_tag}")

    def identifier(testimony_id: int) -> str:
        return f"oai:localhost:testimony/{testimony_id}"

    missing = {verb: _oai(prober, f"oai {verb}", verb=verb, identifier=identifier(MISSING_ID), **extra)
               for verb, extra in (("GetRecord", {"metadataPrefix": "oai_dc"}), ("ListMetadataFormats", {}))}
    for label, testimony_id in world.testimony_ids.items():
        for verb, extra in (("GetRecord", {"metadataPrefix": "oai_dc"}), ("ListMetadataFormats", {})):
            body = _oai(prober, f"oai {verb}", verb=verb, identifier=identifier(testimony_id), **extra)
            if label in NEVER_PUBLIC and _blank(body, identifier(testimony_id)) != \
                    _blank(missing[verb], identifier(MISSING_ID)):
                problems.append(f"[{role}] {verb} of never-public {label} ({testimony_id}) differs from a missing id")
    withdrawn = world.testimony_ids["withdrawn"]
    record = re.search(
        rf"<record><header status=\"deleted\"><identifier>{identifier(withdrawn)}</identifier>.*?</record>", everything)
    if record is None or "<metadata>" in record.group(0):
        problems.append(f"[{role}] the withdrawn testimony is not a bare deleted header in ListRecords")
    for label in NEVER_PUBLIC:
        if identifier(world.testimony_ids[label]) + "<" in everything:
            problems.append(f"[{role}] never-public {label} is listed by ListRecords")
    leaks = leak_stats.leaks[before:]
    assert not leaks and not problems, "\n".join([str(leak) for leak in leaks[:40]] + problems[:40])
