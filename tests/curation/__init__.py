"""Curation: testimonies, narrators, recordings, imports, the editor, sensitive terms, publishing."""
