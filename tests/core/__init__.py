"""Core: dispatcher, saving, i18n and translations, language switch."""
