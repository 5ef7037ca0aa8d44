"""XSS and injection payloads: script vectors × injection contexts, plus template injections.

Every payload carries its own number N: executed, it calls alert(N) / confirm(N) or sets
window.__xss = N, so a failure names the payload. The generated list is kept in payloads.txt
(one per line) for review; regenerate it with

    .venv/bin/python -m tests.security.payloads > tests/security/payloads.txt
"""
from __future__ import annotations

import base64
from pathlib import Path

PAYLOAD_FILE = Path(__file__).with_name("payloads.txt")

# What a payload does when it runs. {n} is the payload's number.
VECTORS = (
    "alert({n})",
    "window.__xss={n}",
    "confirm({n})",
    "self['al'+'ert']({n})",
)

# Where the vector is injected. {js} is the vector, {n} the number, {b64} base64 of <script>{js}</script>.
CONTEXTS = (
    # script elements
    "<script>{js}</script>",
    "<ScRiPt>{js}</sCrIpT>",
    "<script src=\"data:text/javascript,{js}\"></script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<<script>script>{js}<</script>/script>",
    "<template><script>{js}</script></template>",
    "<svg><script>{js}</script></svg>",
    # event handlers
    "<img src=x onerror={js}>",
    "<img src=\"x\" onerror=\"{js}\">",
    "<img/src/onerror={js}>",
    "<img\tsrc=x\tonerror={js}>",
    "<img src=x onerror={js}//",
    "<<img src=x onerror={js}>>",
    "<svg onload={js}>",
    "<svg/onload={js}>",
    "<svg><animate onbegin={js} attributeName=x dur=1s>",
    "<body onload={js}>",
    "<frameset onload={js}>",
    "<details open ontoggle={js}>",
    "<input autofocus onfocus={js}>",
    "<select autofocus onfocus={js}></select>",
    "<textarea autofocus onfocus={js}></textarea>",
    "<keygen autofocus onfocus={js}>",
    "<xss id=x{n} tabindex=1 autofocus onfocus={js}></xss>",
    "<video><source onerror={js}></video>",
    "<audio src=x onerror={js}>",
    "<marquee onstart={js}>x</marquee>",
    "<div onmouseover={js}>hover {n}</div>",
    "<p onclick={js}>click {n}</p>",
    "<a href=\"https://example.org/\" onclick={js}>x</a>",
    "<a href=\"https://example.org/\" title=\"x\" onmouseover={js}>x</a>",
    "<abbr title=\"x\" onmouseover={js}>x</abbr>",
    "<h3 onclick={js}>x</h3>",
    "<blockquote onmouseover={js}>x</blockquote>",
    "<isindex type=image src=1 onerror={js}>",
    "<form><button formaction=\"javascript:{js}\">x</button></form>",
    "<form id=f{n} onforminput={js}><input></form>",
    # URL schemes and their encodings
    "<a href=\"javascript:{js}\">link {n}</a>",
    "<a href=\"JaVaScRiPt:{js}\">x</a>",
    "<a href=\"&#106;avascript:{js}\">x</a>",
    "<a href=\"jav&#x09;ascript:{js}\">x</a>",
    "<a href=\"java&#0000115;cript:{js}\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{js}\">x</a>",
    "<a href=\" javascript:{js}\">x</a>",
    "<a href=\"javascript&colon;{js}\">x</a>",
    "<a href=\"%6Aavascript:{js}\">x</a>",
    "<a href=\"data:text/html;base64,{b64}\">x</a>",
    "<a href=\"vbscript:{js}\">x</a>",
    "<a href=javascript:{js}>x</a>",
    "<iframe src=\"javascript:{js}\"></iframe>",
    "<iframe/src=javascript:{js}>",
    "<iframe srcdoc=\"<script>{js}</script>\"></iframe>",
    "<object data=\"javascript:{js}\"></object>",
    "<object type=\"text/html\" data=\"data:text/html;base64,{b64}\"></object>",
    "<embed src=\"javascript:{js}\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:{js}\">",
    "<base href=\"javascript:{js}//\">",
    "<link rel=stylesheet href=\"javascript:{js}\">",
    "<blockquote cite=\"javascript:{js}\">x</blockquote>",
    "<q cite=\"javascript:{js}\">x</q>",
    "<svg><a xlink:href=\"javascript:{js}\"><text x=\"20\" y=\"20\">x</text></a></svg>",
    "<math href=\"javascript:{js}\">x</math>",
    "<div style=\"background-image:url(javascript:{js})\">x</div>",
    "<style>@import 'javascript:{js}';</style>",
    # mutation XSS and parser confusion
    "<math><mtext><table><mglyph><style><img src=x onerror={js}>",
    "<svg><style><img src=x onerror={js}></style></svg>",
    "<math><style><img src=x onerror={js}></style></math>",
    "<noscript><p title=\"</noscript><img src=x onerror={js}>\">",
    "<!--<img src=\"--><img src=x onerror={js}//\">",
    "<plaintext><img src=x onerror={js}>",
    "<xmp><img src=x onerror={js}></xmp>",
    "<p title=\"</p><img src=x onerror={js}>\">x</p>",
    "<a title=\"&quot;&gt;&lt;img src=x onerror={js}&gt;\">x</a>",
    # breaking out of attributes, elements and scripts the value might be placed in
    "\"><img src=x onerror={js}>",
    "'><svg onload={js}>",
    "\" autofocus onfocus=\"{js}\" x=\"",
    "' autofocus onfocus='{js}' x='",
    "</title><script>{js}</script>",
    "</textarea><script>{js}</script>",
    "</script><script>{js}</script>",
    "</style><script>{js}</script>",
    "</option></select><img src=x onerror={js}>",
    "\";{js};//",
    "';{js};//",
    "\\\";{js};//",
    # already-encoded forms that must stay text (double decoding)
    "&lt;script&gt;{js}&lt;/script&gt;",
    "&lt;img src=x onerror={js}&gt;",
    "%3Cscript%3E{js}%3C/script%3E",
    "\\u003cscript\\u003e{js}\\u003c/script\\u003e",
)

# Template and expression injection: rendered literally, never evaluated. tpl{n} brackets each.
TEMPLATES = (
    "tpl{n}{{{{7*7}}}}tpl{n}",
    "tpl{n}${{7*7}}tpl{n}",
    "tpl{n}#{{7*7}}tpl{n}",
    "tpl{n}{{{{config}}}}tpl{n}",
    "tpl{n}{{% print(7*7) %}}tpl{n}",
    "tpl{n}<%= 7*7 %>tpl{n}",
    "tpl{n}{{{{ self.__init__.__globals__ }}}}tpl{n}",
    "tpl{n}{{{{constructor.constructor('window.__xss={n}')()}}}}tpl{n}",
    "tpl{n}{{{{''.__class__.__mro__[1].__subclasses__()}}}}tpl{n}",
    "tpl{n}[[7*7]]tpl{n}",
)


def generate() -> list[str]:
    """Every payload, numbered from 1 in order."""
    payloads: list[str] = []
    for context in CONTEXTS:
        for vector in VECTORS:
            n = len(payloads) + 1
            js = vector.format(n=n)
            b64 = base64.b64encode(f"<script>{js}</script>".encode()).decode()
            payloads.append(context.format(js=js, n=n, b64=b64))
    for template in TEMPLATES:
        payloads.append(template.format(n=len(payloads) + 1))
    assert all("\n" not in p and "\r" not in p and "\0" not in p for p in payloads)
    return payloads


def load() -> list[str]:
    """The payloads as kept in payloads.txt."""
    return PAYLOAD_FILE.read_text(encoding="utf-8").split("\n")[:-1]


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(generate()))
