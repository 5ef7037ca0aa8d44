"""Flask-WTF forms: the shape of input only; rules live in the services."""
