"""Tests for HTML sanitizing, plain-text extraction and excerpts."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from archive.formats.sanitize import ALLOWED_TAGS, clean_html, excerpt, html_to_text

ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "abbr": {"title"}}

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)//<</script>/script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"jav\tascript:alert(1)\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<a href=\"\x01javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"data:image/svg+xml,<svg onload=alert(1)>\">x</a>",
    "<a href=\"http://ok.example\" onclick=\"alert(1)\" onmouseover=alert(1)>x</a>",
    "<a href=\"http://ok.example\" style=\"color:red\" target=\"_blank\">x</a>",
    "<p onclick=alert(1) style=\"background:url(javascript:alert(1))\">x</p>",
    "<abbr title=\"t\" onmouseover=\"alert(1)\">x</abbr>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<link rel=stylesheet href=http://evil.example/x.css>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<!--<img src=x onerror=alert(1)>-->",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<xmp><script>alert(1)</script></xmp>",
    "<textarea><script>alert(1)</script></textarea>",
    "<title><script>alert(1)</script></title>",
    "<select><style></style><img src=x onerror=alert(1)></select>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<q cite=\"javascript:alert(1)\">x</q>",
    "<blockquote cite=\"javascript:alert(1)\">x</blockquote>",
    "<a href=\"//evil.example\" rel=\"opener\">x</a>",
    "\"><script>alert(1)</script>",
    "<img src=`x`onerror=alert(1)>",
    "<a/href=\"javascript:alert(1)\">x</a>",
    "<a href=javascript:alert(1)//>x</a>",
]


class _Collector(HTMLParser):
    """Collect the elements and attributes a browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str | None:
    """Return a URL's scheme the way a browser reads it (HTMLParser already decoded entities)."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", url).lower()
    match = re.match(r"^([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else None


def assert_safe(output: str) -> None:
    """Fail unless output holds only allowed tags, attributes and link protocols."""
    lowered = output.lower()
    for needle in ("<script", "<svg", "<math", "<img", "<iframe", "<style", "<object", "<embed", "<form"):
        assert needle not in lowered, output
    collector = _Collector()
    collector.feed(output)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, output
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), output
            assert not name.startswith("on"), output
            if name == "href":
                assert _scheme(value or "") in (None, "http", "https", "mailto"), output


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    output = clean_html(payload)
    assert isinstance(output, Markup)
    assert_safe(str(output))
    assert "alert(1)</" not in str(output)  # no executable element kept its code


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_survive_double_cleaning(payload: str) -> None:
    once = str(clean_html(payload))
    assert_safe(str(clean_html(once)))


def test_script_and_style_contents_do_not_survive_as_text() -> None:
    output = str(clean_html("<p>before<script>var secret = 1;</script><style>p{color:red}</style>after</p>"))
    assert output == "<p>beforeafter</p>"


def test_allowed_markup_is_kept() -> None:
    source = (
        "<h3>Escape</h3><p>We crossed the <strong>Tumen</strong> in <em>winter</em>.<br>"
        "<abbr title=\"Ministry of State Security\">MSS</abbr> <cite>Daily NK</cite> <q>quote</q></p>"
        "<blockquote><p>said</p></blockquote><ul><li>one</li></ul><ol><li>two</li></ol><h4>x</h4><b>b</b><i>i</i>"
    )
    assert str(clean_html(source)) == source


def test_links_keep_safe_href_and_title_and_get_rel() -> None:
    output = str(clean_html('<a href="https://example.org/a?b=1&amp;c=2" title="t" rel="opener" target="_blank">x</a>'))
    assert output == '<a href="https://example.org/a?b=1&amp;c=2" title="t" rel="nofollow noopener">x</a>'
    assert 'rel="nofollow noopener"' in str(clean_html('<a href="mailto:curator@example.org">m</a>'))
    assert 'href="/testimonies/3"' in str(clean_html('<a href="/testimonies/3">rel</a>'))


def test_disallowed_tags_are_stripped_but_their_text_kept() -> None:
    assert str(clean_html("<div><span>kept</span> <u>text</u></div>")) == "kept text"


def test_text_is_escaped() -> None:
    assert str(clean_html("5 < 6 & 7 > 3")) == "5 &lt; 6 &amp; 7 &gt; 3"


@pytest.mark.parametrize("value", [None, ""])
def test_empty_input(value: str | None) -> None:
    assert clean_html(value) == Markup("")
    assert html_to_text(value) == ""
    assert excerpt(value) == ""


def test_markup_input_is_treated_as_text_to_clean() -> None:
    assert str(clean_html(Markup("<script>x</script><b>ok</b>"))) == "<b>ok</b>"


def test_clean_html_is_usable_from_several_threads() -> None:
    results: list[str] = []

    def work() -> None:
        for _ in range(50):
            results.append(str(clean_html("<p>a<script>b</script></p>")))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["<p>a</p>"] * 200


# --- html_to_text -----------------------------------------------------------


def test_html_to_text_strips_tags_unescapes_and_collapses() -> None:
    source = "<h3>Title</h3><p>One &amp; two&nbsp;&lt;three&gt;</p>\n\n<ul><li>a</li><li>b</li></ul><p>c<br>d</p>"
    assert html_to_text(source) == "Title One & two\xa0<three> a b c d".replace("\xa0", " ")


def test_html_to_text_drops_code_and_keeps_inline_words_together() -> None:
    source = "<p>un<b>break</b>able</p><script>alert(1)</script><style>p{}</style><svg><text>no</text></svg>"
    assert html_to_text(source) == "unbreakable"


def test_html_to_text_keeps_korean() -> None:
    assert html_to_text("<p>탈북 <em>증언</em></p>") == "탈북 증언"


# --- excerpt ----------------------------------------------------------------


def test_excerpt_short_text_is_unchanged() -> None:
    assert excerpt("<p>Short text.</p>", 200) == "Short text."


def test_excerpt_cuts_at_word_boundary() -> None:
    text = "We crossed the river at night, and the guards did not see us."
    assert excerpt(text, 31) == "We crossed the river at night…"
    assert excerpt(text, 30) == "We crossed the river at…"


def test_excerpt_when_word_ends_exactly_at_limit() -> None:
    assert excerpt("aaaa bbbb cccc", 10) == "aaaa bbbb…"


def test_excerpt_cuts_long_words_hard() -> None:
    result = excerpt("x" * 500, 50)
    assert result == "x" * 49 + "…"


@pytest.mark.parametrize("length", [1, 2, 5, 17, 80])
def test_excerpt_never_exceeds_length(length: int) -> None:
    source = "<p>" + "탈북자 증언 기록, " * 40 + "</p>"
    result = excerpt(source, length)
    assert len(result) <= length
    assert result.endswith("…")


def test_excerpt_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError):
        excerpt("text", 0)
