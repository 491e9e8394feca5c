"""REST routes of activities."""

from fastapi import APIRouter

routers: list[APIRouter] = []
