"""The public listening pages."""
