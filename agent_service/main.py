"""Cloud Run service `agent`: Vaultra's MCP server (streamable HTTP at /mcp) with its probes.

    uvicorn main:app --app-dir agent_service --port 8080
"""

from vaultra.entrypoints import agent_app

app = agent_app()
