"""Pure formats, no app or database: transcripts, OHMS, IIIF, OAI-PMH XML, CSV safety, sanitizing, SVG charts, time codes."""
