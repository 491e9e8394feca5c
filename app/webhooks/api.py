"""REST routes of webhooks."""

from fastapi import APIRouter

routers: list[APIRouter] = []
