"""Routers of the status page: the 1.1.2 API, extensions, pages."""
