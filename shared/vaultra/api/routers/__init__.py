"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import auth, businesses, downloads, reports, shared, sharing, your_data

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    businesses.router,
    reports.router,
    sharing.router,
    shared.router,
    downloads.router,
    your_data.router,
)
