"""The SCS status page: components, incidents, maintenance and RCAs, wire-compatible with the SCS
Status Page API 1.1.2, in the compliance monitor's database and web service (mounted at /status),
fed by the health monitor (scs_toolkit.health._incidents).

Modules: db (tables), schemas (the 1.1.2 wire models and our extensions), auth (scoped tokens on the
monitor's authenticator), services/ (the rules, shared by the API and the CLI), routers/ (1.1.2 API,
extensions, pages), views (rendering), app (the FastAPI sub-application). Import them directly; this
package imports nothing, so that the monitor's database package can register the tables cheaply.
"""
