"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import auth, businesses, demo_data, stripe_connection

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    businesses.router,
    stripe_connection.router,
    demo_data.router,
)
