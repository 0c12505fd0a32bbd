"""Cloud Function `api` (HTTP, ASGI): the REST API under /api/v1 (`vaultra.api`), served by
functions-framework's ASGI mode."""

from vaultra.entrypoints import api_function

api = api_function()
