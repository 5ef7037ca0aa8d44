"""Interoperability: API, OAI-PMH, exchange formats, citations."""
