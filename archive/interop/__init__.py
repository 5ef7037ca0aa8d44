"""Interoperability: the JSON API, OAI-PMH, IIIF/WebVTT/OHMS exchange, citations and plain-language profiles."""
