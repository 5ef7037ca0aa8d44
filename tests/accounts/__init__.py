"""Accounts: logins, registration, throttling, administration."""
