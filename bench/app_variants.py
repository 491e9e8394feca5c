"""ASGI apps for what-if measurements of the HTTP layer (bench/http_overhead.py); app/ is untouched.

`lean` is the service exactly as app.main builds it, minus its metrics middleware
(`app.main.Metrics`, plain ASGI). Run as `uvicorn bench.app_variants:lean`.
"""

from app.main import Metrics, create_app

lean = create_app()
lean.user_middleware = [m for m in lean.user_middleware if m.cls is not Metrics]
