"""Clearance HTTP API: ``/v1/declarations``, ``/v1/instructions``, ``/v1/rules``, ``/v1/reports``, ``/v1/audit``."""

from __future__ import annotations

from fastapi import APIRouter

from smartinspect.api.routers.clearance import declarations, instructions, reports, rules

router = APIRouter()
for _module in (declarations, instructions, rules, reports):
    router.include_router(_module.router)
