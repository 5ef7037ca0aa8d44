"""Curation: testimonies, narrators, recordings, batch imports, the editor, sensitive terms and publishing (forms, services, views)."""
