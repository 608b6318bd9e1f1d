"""The monitor's routes, one module per audience: uploaders, the JSON API, public pages, operations."""
