"""Vocabulary management: curators add, rename, merge and retire terms; CSV round trip; old slugs redirect."""
