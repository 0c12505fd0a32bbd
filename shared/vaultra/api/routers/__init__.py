"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import account, auth, businesses, members, tokens

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    businesses.router,
    account.router,
    tokens.router,
    members.router,
)
