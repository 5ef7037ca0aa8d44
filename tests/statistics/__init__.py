"""Statistics: the bundled data, figures and pages."""
