"""Access requests and grants: a researcher asks to see one restricted or researchers-only testimony, a curator
grants it for a period or refuses with a reason, and revokes grants; the access policy reads the grants."""
