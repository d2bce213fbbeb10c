from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.replica import ReplicaServer, ReplicaSite
from crawler.shared import connect
from crawler.shared.server import LocalRedis


@pytest.fixture(scope="session")
def replica_site() -> ReplicaSite:
    return ReplicaSite(n_articles=300)


@pytest.fixture(scope="session")
def replica(replica_site: ReplicaSite) -> Iterator[ReplicaServer]:
    with ReplicaServer(replica_site) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    """Debian's redis-server on a free loopback port, its files in a temporary directory."""
    with LocalRedis() as server:
        yield server


@pytest.fixture()
def redis_url(redis_server: LocalRedis) -> Iterator[str]:
    """An empty database for one test."""
    client = connect(redis_server.url)
    client.flushall()
    yield redis_server.url
    client.flushall()
    client.close()
