"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import (
    account,
    auth,
    businesses,
    downloads,
    members,
    reports,
    shared,
    sharing,
    tokens,
    your_data,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    account.router,
    tokens.router,
    businesses.router,
    members.router,
    reports.router,
    sharing.router,
    shared.router,
    downloads.router,
    your_data.router,
)
