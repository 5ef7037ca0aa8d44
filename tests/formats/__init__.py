"""Pure formats: transcripts, OHMS, IIIF, sanitizing, charts, time codes."""
