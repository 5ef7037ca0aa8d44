"""Accounts: logins and sessions, researcher registration, throttling, administration and the audit log pages."""
