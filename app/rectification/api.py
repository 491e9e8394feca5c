"""REST routes of rectification."""

from fastapi import APIRouter

routers: list[APIRouter] = []
