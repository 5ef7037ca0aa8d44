"""Search: the engine (engine/, the only code that imports whoosh or kiwipiepy), sync (outbox → index),
requests (the search pages' questions, facet labels, small counts) and the views."""
