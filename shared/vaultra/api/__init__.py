"""The REST API under /api/v1: what the dashboard, the agent and integrations call.

`app.create_api(runtime)` builds it; `problems` turns every error into RFC 9457 problem details;
`deps` holds the dependencies every route declares (who calls, which business); `pagination` the
cursor pages; `routers/` one module per resource, with its input and output models.
"""
