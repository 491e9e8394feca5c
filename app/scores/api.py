"""REST routes of scores."""

from fastapi import APIRouter

routers: list[APIRouter] = []
