# Ducha service image: non-root, uvicorn, health check. Build: docker build -t ducha .
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The web console: built with Node from the committed lock file; only web/dist is kept.
FROM node:20-slim AS console
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./
RUN npm run build

FROM base AS build
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -c constraints.txt .

FROM base AS runtime
RUN groupadd --system ducha && useradd --system --gid ducha --home-dir /app ducha \
    && mkdir -p /app/var && chown ducha:ducha /app/var
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
COPY processes ./processes
COPY app ./app
COPY data ./data
COPY --from=console /web/dist ./web/dist
ENV PATH=/opt/venv/bin:$PATH \
    DUCHA_PROCESSES_DIR=/app/processes \
    DUCHA_DATABASE_URL=sqlite:////app/var/ducha.db
USER ducha
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--timeout-graceful-shutdown", "30"]
