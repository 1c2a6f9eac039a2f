"""Shared fixtures: a fresh data directory, an app on it, a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent.settings import Settings
from api.app import create_app

# One OpenMP thread: the test machine has two cores and other work on them.
os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.is_dir():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", max_body_bytes=200_000)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def meeting_body(language: str = "nl") -> dict[str, Any]:
    """A small meeting: three parties, a facilitator and three participants."""
    return {
        "topic": {
            "title": "Begroting 2027" if language == "nl" else "Budget 2027",
            "kind": "budget",
            "goal": "Samen de uitgangspunten verkennen"
            if language == "nl"
            else "Explore the budget together",
        },
        "language": language,
        "parties": [
            {"id": "cvb", "name": "College van Bestuur"},
            {"id": "or", "name": "Ondernemingsraad"},
            {"id": "sr", "name": "Studentenraad"},
        ],
        "participants": [
            {"id": "henk", "name": "Henk Jansen", "party": "cvb", "role": "facilitator"},
            {"id": "anna", "name": "Anna de Vries", "party": "or"},
            {"id": "noor", "name": "Noor Bakker", "party": "sr"},
            {"id": "pim", "name": "Pim de Boer", "party": "or"},
        ],
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``rondetafel serve`` in a subprocess on a loopback port."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "RONDETAFEL_DATA_DIR": str(self.data_dir),
            "OMP_NUM_THREADS": "1",
            **self.env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rondetafel.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not come up in 60 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()
