"""Vocabulary management: curators add, rename, merge and retire topics, places and categories; CSV round trip; old slugs redirect."""
