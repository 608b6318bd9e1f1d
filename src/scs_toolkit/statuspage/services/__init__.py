"""The status page rules, on a SQLAlchemy session: shared by the API routers and the CLI."""
