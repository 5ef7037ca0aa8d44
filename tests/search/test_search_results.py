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
