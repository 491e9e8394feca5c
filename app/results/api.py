"""REST routes of results."""

from fastapi import APIRouter

routers: list[APIRouter] = []
