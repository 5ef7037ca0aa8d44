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


def test_hits_show_metadata_and_every_moment(client: FlaskClient, factory: Any) -> None:
    n = factory.narrator(pseudonym="Kim Ha-na")
    t = factory.testimony(n, segments=[seg(f"the river part {i}", 10 * i) for i in range(5)],
                          tags=["famine"], interview_date="2019-05-14", languages=["en", "ko"])
    data = client.get("/api/v1/search?q=river").get_json()
    hit = data["results"][0]
    assert hit["narrator"] == "Kim Ha-na" and hit["interview_date"] == "2019-05-14"
    assert hit["languages"] == ["en", "ko"] and hit["topics"] == ["famine"] and hit["duration"] is None
    assert [s["start"] for s in hit["segments"]] == [0, 10, 20, 30, 40]
    html = client.get("/search?q=river").get_data(as_text=True)
    result = html[html.index('class="result"'):html.index("</ol>", html.index('class="result"'))]
    assert "Kim Ha-na" in result and "Interviewed May 14, 2019" in result and "English, Korean" in result
    assert "Famine" in result
    shown, more = result.split('<details class="more-moments">')
    assert shown.count('class="time"') == 3 and more.count('class="time"') == 2
    assert "2 more moments" in more and f"/testimonies/{t.id}?t=40&amp;q=river" in more


def test_a_confident_did_you_mean_is_run_with_search_instead(client: FlaskClient,
                                                            corpus: dict[str, Any]) -> None:  # noqa: F811
    data = client.get("/api/v1/search?q=brokre").get_json()
    assert data["total"] == 7 and data["q"] == "broker" and data["corrected_from"] == "brokre"
    html = client.get("/search?q=brokre").get_data(as_text=True)
    assert "Showing results for <strong>broker</strong>" in html
    assert 'Search instead for <a href="/search?exact=1&amp;q=brokre">brokre</a>' in html
    exact = client.get("/api/v1/search?q=brokre&exact=1").get_json()
    assert exact["total"] == 0 and exact["suggestion"] == "broker" and exact["corrected_from"] is None


def test_zero_results_offer_suggestions(client: FlaskClient, corpus: dict[str, Any]) -> None:  # noqa: F811
    html = client.get("/search?q=laos&tag=brokers").get_data(as_text=True)
    block = html[html.index('class="no-results"'):html.index("</section>", html.index('class="no-results"'))]
    assert 'href="/search?q=laos"' in block  # drop the filter
    assert 'href="/search?tag=brokers">Brokers</a> (6)' in block  # the biggest topics
    assert 'href="/testimonies/"' in block and 'href="/hear/"' in block
    html = client.get("/search?q=zzqxv").get_data(as_text=True)
    assert "Nothing matches this search" in html


def test_play_in_place_only_for_recordings_the_reader_may_hear(client: FlaskClient, factory: Any) -> None:
    import io
    from archive.config import PROJECT_ROOT
    from archive.curation.recordings import upload_recording
    heard = factory.testimony(segments=[seg("the lighthouse at dawn", 6.5)])
    silent = factory.testimony(segments=[seg("another lighthouse story", 3)], consent_audio=False)
    for t in (heard, silent):  # the second narrator did not consent to the recording being heard
        upload_recording(t, io.BytesIO((PROJECT_ROOT / "media/demo/demo-001.ogg").read_bytes()), "a.ogg", None)
    html = client.get("/search?q=lighthouse").get_data(as_text=True)
    assert html.count('class="button hit-play"') == 1
    assert (f'href="/testimonies/{heard.id}?t=6.5&amp;q=lighthouse&amp;autoplay=1"\n'
            f'               data-src="/media/recordings/') in html
    assert "Play from 0:06" in html
