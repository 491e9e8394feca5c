"""Run the real service as a separate uvicorn process on a free port (for crash and scale tests)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt

from app.identity.principal import KNOWN_ROLES

ROOT = Path(__file__).resolve().parent.parent
SECRET = "ducha-test-secret-not-for-production-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PortTaken(Exception):
    """Another process bound the port between the probe and the service's start."""


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


class ServiceProcess:
    """One `uvicorn app.main:app` process with its own environment."""

    def __init__(self, database_url: str, processes_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DUCHA_DATABASE_URL": database_url,
            "DUCHA_PROCESSES_DIR": str(processes_dir),
            "DUCHA_SCHEDULER_INTERVAL_SECONDS": "0.2",
            "DUCHA_JWT_SECRET": SECRET,
            "DUCHA_UNITS_FILE": str(ROOT / "data" / "units_demo.json"),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> "ServiceProcess":
        """Start and wait until healthy; a port taken meanwhile by another test process (the
        free port was only probed) is replaced by a new one."""
        for _attempt in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("no free port for the service")

    def _start(self, timeout: float) -> "ServiceProcess":
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if _in_use(self.port):
                    raise PortTaken(self.port)
                raise RuntimeError(f"service exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("service did not become healthy")

    def kill(self) -> None:
        """`kill -9`: no shutdown hooks, no flushing, nothing graceful."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(
        self, sub: str = "tester", unit: str = "320000-DCS", roles: list[str] | None = None
    ) -> httpx.Client:
        """An HTTP client signed in (by default with every role, in the province's office)."""
        token = jwt.encode(
            {
                "sub": sub,
                "name": sub,
                "unit": unit,
                "roles": roles or sorted(KNOWN_ROLES),
                "exp": int(time.time()) + 3600,
            },
            SECRET,
            algorithm="HS256",
        )
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)
