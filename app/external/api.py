"""REST routes of external."""

from fastapi import APIRouter

routers: list[APIRouter] = []
