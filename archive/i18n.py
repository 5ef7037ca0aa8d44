"""The interface language: Korean or English, chosen by the visitor, else by Accept-Language."""
from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

LOCALES = ("en", "ko")
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "lang"

babel = Babel()


def select_locale() -> str:
    """The visitor's remembered choice first, then the browser's preference."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
