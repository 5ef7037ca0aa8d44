"""Statistics: the official figures on defectors (validated data files) and what the pages make of them."""
