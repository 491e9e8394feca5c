"""REST routes of planning."""

from fastapi import APIRouter

routers: list[APIRouter] = []
