"""Shared by every area: extensions, errors, audit log, vocabulary, i18n, templating, request limits and paging."""
