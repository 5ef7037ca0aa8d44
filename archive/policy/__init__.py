"""Who may see what: the access policy, the protected view of a testimony and the disclosure rules."""
