"""A private `redis-server` (Debian's) on a free loopback port, for tests and for
`newscrawl-nightly --workers N` without `--redis-url`. Without `data_dir` it keeps no files
outside its own temporary directory; with one (the nightly's `OUTPUT_DIR/state/redis/`) it
keeps its data there in an append-only file, so the crawl state outlives the run. It is
stopped when the context ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from crawler.errors import ConfigError

REDIS_SERVER = "redis-server"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LocalRedis:
    """`with LocalRedis() as server: server.url` -> `redis://127.0.0.1:PORT/0`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        executable: str | None = None,
        data_dir: Path | None = None,
    ) -> None:
        found = executable or shutil.which(REDIS_SERVER)
        if not found:
            raise ConfigError(
                "redis-server is not installed: apt-get install redis-server, or pass --redis-url"
            )
        self.executable = found
        self.host = host
        self.data_dir = data_dir
        self.port = 0
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> LocalRedis:
        self._directory = tempfile.TemporaryDirectory(prefix="newscrawl-redis-")
        directory = Path(self._directory.name)
        persistence = ["--dir", str(directory), "--appendonly", "no"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            persistence = ["--dir", str(self.data_dir), "--appendonly", "yes"]
        for _ in range(5):  # the port is free when probed; another process may take it first
            self.port = _free_port(self.host)
            self._process = subprocess.Popen(
                [
                    self.executable,
                    "--bind", self.host,
                    "--port", str(self.port),
                    *persistence,
                    "--save", "",
                    "--protected-mode", "no",
                    "--logfile", str(directory / "redis.log"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._wait_ready():
                return self
            self._kill()
        raise RuntimeError(f"redis-server did not start; see {directory / 'redis.log'}")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def stop(self) -> None:
        self._kill()
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
