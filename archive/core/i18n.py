"""The interface language: Korean or English, chosen by the visitor, else by Accept-Language."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from flask import Flask, has_request_context, message_flashed, request, session
from flask_babel import Babel, force_locale, format_date, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from jinja2 import pass_context
from werkzeug.wrappers import Response

LOCALES = ("en", "ko")
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "lang"

babel = Babel()


class LazyText(LazyString):
    """A lazy translation that is text, never markup.

    Flask-Babel's lazy strings declare themselves safe HTML (their ``__html__`` returns the text as
    is), so one quoting user input -- a search notice repeating the query -- reached the page live.
    This one escapes itself wherever markup is expected (Jinja, ``Markup`` formatting, the session's
    flash storage); ``str()`` gives the plain text for JSON, CSV and logs.
    """

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_text(string: str, **variables: Any) -> LazyText:
    """``lazy_gettext`` for messages whose parameters come from users (extracted under the ``_l`` keyword)."""
    return LazyText(gettext, string, **variables)


def select_locale() -> str:
    """The visitor's remembered choice first, then the browser's preference (English outside a request)."""
    if not has_request_context():  # CLI commands and services called from scripts
        return DEFAULT_LOCALE
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def current_locale() -> str:
    """The interface language of this request as a code ("en" or "ko")."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LOCALES else DEFAULT_LOCALE


def in_every_locale(message: str) -> dict[str, str]:
    """A catalogue message in each interface language, by language code (for IIIF language maps)."""
    texts = {}
    for code in LOCALES:
        with force_locale(code):
            texts[code] = gettext(message)
    return texts


def other_locale() -> str:
    """The interface language not in use (for showing a name in both languages)."""
    return "en" if current_locale() == "ko" else "ko"


# Vocabulary records and statistics rows carry their labels in both languages.
_LABEL_FIELDS = {"en": ("name_en", "label_en", "title_en", "category"), "ko": ("name_ko", "label_ko", "title_ko",
                                                                               "category_ko")}


# Korean names of the Ministry of Unification's occupation and education categories (the bundled CSV
# files and the category vocabulary carry only the English ones); the wording of the Ministry's tables.
CATEGORY_KO = {
    "Management": "관리직", "Military": "군인", "Workers": "노동자", "Unemployed or dependants": "무직부양",
    "Service sector": "봉사분야", "Arts and sports": "예술체육", "Professionals": "전문직",
    "Children (not of working age)": "비대상(아동 등)",
    "Preschool child": "취학 전 아동", "Kindergarten": "유치원", "Primary school": "인민학교(소학교)",
    "Secondary school (middle and high school)": "중학교(고등중학교)", "College": "전문대", "University or higher": "대학 이상",
    "No schooling": "무학", "Other or unidentified": "기타(불상)",
}


def _korean_category(obj: Any) -> str:
    english = obj.get("category") if isinstance(obj, dict) else getattr(obj, "label_en", None)
    return CATEGORY_KO.get(str(english or ""), "")


def label(obj: Any, lang: str | None = None) -> str:
    """A vocabulary label (place, topic, category, statistics row) in the interface language.

    Falls back to English when the Korean label is missing; ``lang`` forces a language.
    """
    if obj is None:
        return ""
    wanted = lang or current_locale()
    for code in (wanted, "en"):
        for name in _LABEL_FIELDS.get(code, ()):
            value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
            if value:
                return str(value)
        if code == "ko" and _korean_category(obj):
            return _korean_category(obj)
    return str(obj) if isinstance(obj, str) else ""


def label_lang(obj: Any, lang: str | None = None) -> str:
    """The language that ``label(obj, lang)`` is actually written in ("en" when it fell back)."""
    wanted = lang or current_locale()
    if wanted == "en" or obj is None:
        return "en"
    for name in _LABEL_FIELDS["ko"]:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value:
            return "ko"
    return "ko" if _korean_category(obj) else "en"


def language_name(code: str | None) -> str:
    """A language code as a name in the interface language ("ko" -> "Korean" / "한국어")."""
    if not code:
        return ""
    try:
        return Locale.parse(current_locale()).languages.get(code, code)
    except (ValueError, TypeError):
        return code


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_text(value: Any, fmt: str = "long") -> str:
    """A date per locale; partial ISO dates ("2019", "2019-05") keep their precision."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return format_date(value, fmt)
    match = _PARTIAL_DATE.fullmatch(str(value).strip())
    if not match:
        return str(value)
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None and month is not None:
            return format_date(date(year, month, day), fmt)  # type: ignore[arg-type]
        if month is not None:
            return format_skeleton("yMMMM", date(year, month, 1), locale=current_locale())  # type: ignore[arg-type]
    except ValueError:
        return str(value)
    return str(year)


def number(value: Any, decimals: int | None = None) -> str:
    """A number with the locale's grouping and decimal signs; non-numbers are returned as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern)


_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


def lang_of(text: Any) -> str:
    """The language of catalogue text written in English or Korean ("ko" when Hangul dominates)."""
    value = str(text or "")
    return "ko" if len(_HANGUL.findall(value)) >= max(len(_LATIN.findall(value)), 1) else "en"


def texts_by_language(text: Any) -> dict[str, str]:
    """Catalogue text by language: "English / 한국어" gives both halves, anything else its one language."""
    value = str(text or "").strip()
    halves = [half.strip() for half in value.split(" / ")]
    if len(halves) == 2 and all(halves) and lang_of(halves[0]) != lang_of(halves[1]):
        return {lang_of(half): half for half in halves}
    return {lang_of(value): value} if value else {}


def lang_attr(code: Any) -> Markup:
    """A ` lang="xx"` attribute for content whose language differs from the page, else nothing."""
    code = str(code or "").strip()
    if not code or code == current_locale() or not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*", code):
        return Markup("")
    return Markup(' lang="%s"') % code


@pass_context
def _lang_attr_filter(context: Any, code: Any) -> Markup:
    """`lang_attr` as a filter. It takes the template context only so that Jinja never works it out once,
    when it compiles a template: `{{ 'en'|lang_attr }}` would keep the language of the first page rendered."""
    return lang_attr(code)


GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "unspecified": _l("Unspecified")}


def gender_label(code: str | None) -> str:
    """A narrator's gender as a word of the interface language."""
    return str(GENDER_LABELS.get(code or "", code or ""))


def _vary_on_language(response: Response) -> Response:
    """Pages differ by Accept-Language and the lang cookie: shared caches must keep them apart."""
    if response.mimetype in ("text/html", "application/json"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    if response.mimetype == "text/html" and "Content-Language" not in response.headers:
        response.headers["Content-Language"] = current_locale()
    return response


MAX_FLASHES = 5


def _flash_as_text(sender: Flask, message: Any, category: str, **_: Any) -> None:
    """Store the message just flashed as plain text, so the page escapes it however it was built.

    The session keeps anything with ``__html__`` (Markup, a Flask-Babel lazy string quoting a title or
    an email address) as trusted markup; a flash is always text. A message already waiting is not
    queued twice, and only the last few wait: a visitor who meets the same wall many times before
    opening a page (a media link, a feed) sees it once, and the session cookie stays small.
    """
    flashes = session.get("_flashes")
    if not flashes:
        return
    if flashes[-1][1] is message and type(message) is not str:
        flashes[-1] = (category, str(message))
    latest = (flashes[-1][0], str(flashes[-1][1]))
    kept = [f for f in flashes[:-1] if (f[0], str(f[1])) != latest] + [latest]
    session["_flashes"] = kept[-MAX_FLASHES:]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_vary_on_language)
    message_flashed.connect(_flash_as_text, app)
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["label_lang"] = label_lang
    app.jinja_env.filters["date_text"] = date_text
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["lang_of"] = lang_of
    app.jinja_env.filters["lang_attr"] = _lang_attr_filter
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.globals["other_locale"] = other_locale
    app.jinja_env.globals["gender_label"] = gender_label
    app.jinja_env.globals["speaker_role"] = speaker_role
    app.jinja_env.globals["LOCALES"] = LOCALES


_SPEAKER_ROLES = {"interviewer": _l("Interviewer"), "면담자": _l("Interviewer"),
                  "narrator": _l("Narrator"), "구술자": _l("Narrator")}


def speaker_role(speaker: str | None) -> tuple[str, bool]:
    """A transcript's speaker label with the roles (interviewer, narrator) said in the interface language.

    Returns (text, translated): a translated role is in the interface language, not the line's.
    """
    text = (speaker or "").strip()
    role = _SPEAKER_ROLES.get(text.casefold())
    if role is None or str(role) == text:
        return text, False
    return str(role), True


def decade_label(decade: int) -> str:
    """"1990s" / "1990년대"."""
    return gettext("%(decade)ss", decade=decade)
