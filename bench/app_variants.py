"""ASGI apps for what-if measurements of the HTTP layer (bench/http_overhead.py); app/ is untouched.

`lean` is the service exactly as app.main builds it, minus the `@app.middleware("http")` metrics
middleware (a Starlette BaseHTTPMiddleware). Run as `uvicorn bench.app_variants:lean`.
"""

from starlette.middleware.base import BaseHTTPMiddleware

from app.main import create_app

lean = create_app()
lean.user_middleware = [m for m in lean.user_middleware if m.cls is not BaseHTTPMiddleware]
