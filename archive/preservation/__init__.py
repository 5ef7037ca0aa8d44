"""Preservation: backups and restores, fixity audits of stored recordings, BagIt packages."""
