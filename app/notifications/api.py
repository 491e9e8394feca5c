"""REST routes of notifications."""

from fastapi import APIRouter

routers: list[APIRouter] = []
