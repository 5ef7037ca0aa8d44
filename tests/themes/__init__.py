"""Context theme pages."""
