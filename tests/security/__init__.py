"""Security tests: leaks of protected information, XSS, CSRF, the access matrix and accounts.

A package (not a bare directory) so its conftest does not replace the root `conftest` module
that other test modules import helpers from.
"""
