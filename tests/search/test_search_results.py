"""Search results worth reading (issue 18): exact moments, all moments per testimony, hit metadata, facets."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.search.test_search_views import corpus, seg  # noqa: F401  (the corpus fixture)


def test_moment_links_carry_the_exact_start_and_the_query(client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(segments=[seg("Where did you grow up?", 0), seg("Near the harbour in Chongjin", 4.98)])
    data = client.get("/api/v1/search?q=harbour").get_json()
    moment = data["results"][0]["segments"][0]
    assert moment["start"] == 4.98 and moment["end"] == 8.98
    assert moment["url"] == f"/testimonies/{t.id}?t=4.98&q=harbour"
    assert moment["passage_url"] == f"/testimonies/{t.id}?t=4.98,8.98&q=harbour"
    html = client.get("/search?q=harbour").get_data(as_text=True)
    assert f'href="/testimonies/{t.id}?t=4.98&amp;q=harbour"' in html
    # The link lands on the passage that holds the word, with the word marked.
    landed = client.get(moment["url"]).get_data(as_text=True)
    assert 'aria-current="true"' in landed.split('Near the')[0].rsplit("<li", 1)[1]
    assert '<mark class="hit">harbour</mark>' in landed


def test_facets_combine_or_within_and_across_groups_with_chips(client: FlaskClient,
                                                               corpus: dict[str, Any]) -> None:  # noqa: F811
    both = "/search?q=broker&province=north-hamgyong&province=ryanggang"
    assert client.get("/api/v1" + both).get_json()["total"] == 7
    anded = client.get("/api/v1/search?q=broker&province=ryanggang&tag=brokers").get_json()
    assert anded["total"] == 0 and anded["filters"] == {"province": ["ryanggang"], "tag": ["brokers"]}
    html = client.get(both + "&tag=brokers&sort=date").get_data(as_text=True)
    chips = html[html.index('class="applied-filters"'):html.index('class="result-list"')]
    # One removable chip per applied value; each link drops that value only; "clear all" keeps q and sort.
    assert chips.count('class="chip"') == 3
    assert 'href="/search?q=broker&amp;province=ryanggang&amp;tag=brokers&amp;sort=date"' in chips
    assert 'href="/search?q=broker&amp;province=north-hamgyong&amp;province=ryanggang&amp;sort=date"' in chips
    assert 'class="clear-filters" href="/search?q=broker&amp;sort=date"' in chips
    assert "Home province:</span> North Hamgyong" in chips


def test_a_year_filter_chip_removes_the_year_asked_for(client: FlaskClient,
                                                       corpus: dict[str, Any]) -> None:  # noqa: F811
    html = client.get("/search?arrived=2007").get_data(as_text=True)
    chips = html[html.index('class="applied-filters"'):html.index('class="result-list"')]
    assert "2005–2009" in chips and 'class="chip" href="/search"' in chips


def test_sort_by_duration(client: FlaskClient, factory: Any) -> None:
    import io
    from archive.config import PROJECT_ROOT
    from archive.curation.recordings import upload_recording
    short = factory.testimony(segments=[seg("a short talk about rivers", 1)])
    long = factory.testimony(segments=[seg("a long talk about rivers", 1)])
    none = factory.testimony(segments=[seg("no recording of rivers", 1)])
    upload_recording(short, io.BytesIO((PROJECT_ROOT / "media/demo/demo-001.ogg").read_bytes()), "a.ogg", None)
    upload_recording(long, io.BytesIO((PROJECT_ROOT / "media/demo/demo-002.ogg").read_bytes()), "b.ogg", None)
    ids = [r["id"] for r in client.get("/api/v1/search?q=rivers&sort=duration").get_json()["results"]]
    assert ids == [short.id, long.id, none.id]  # 1:30, 1:58, none last
    ids = [r["id"] for r in client.get("/api/v1/search?q=rivers&sort=-duration").get_json()["results"]]
    assert ids == [long.id, short.id, none.id]
    assert "Duration (longest first)" in client.get("/search?q=rivers").get_data(as_text=True)
