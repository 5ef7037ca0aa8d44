"""Context theme pages: curated essays linking testimonies, places and topics."""
