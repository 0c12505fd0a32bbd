"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import auth, businesses, dashboard, notifications, recommendations, what_if

ROUTERS: tuple[APIRouter, ...] = (auth.router, businesses.router)
ROUTERS += (dashboard.router, recommendations.router, notifications.router, what_if.router)
