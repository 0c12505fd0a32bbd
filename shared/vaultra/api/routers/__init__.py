"""One router per resource; `ROUTERS` is what the API includes, in this order."""

from fastapi import APIRouter

from vaultra.api.routers import (
    account,
    auth,
    businesses,
    chat,
    dashboard,
    demo_data,
    downloads,
    knowledge,
    members,
    notifications,
    recommendations,
    reports,
    shared,
    sharing,
    stripe_connection,
    tokens,
    what_if,
    your_data,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    account.router,
    tokens.router,
    businesses.router,
    members.router,
    stripe_connection.router,
    demo_data.router,
    dashboard.router,
    recommendations.router,
    notifications.router,
    what_if.router,
    chat.router,
    knowledge.router,
    reports.router,
    sharing.router,
    shared.router,
    downloads.router,
    your_data.router,
)
