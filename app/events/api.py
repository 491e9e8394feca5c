"""REST routes of events."""

from fastapi import APIRouter

routers: list[APIRouter] = []
