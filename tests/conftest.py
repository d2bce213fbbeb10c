from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.replica import ReplicaServer, ReplicaSite


@pytest.fixture(scope="session")
def replica_site() -> ReplicaSite:
    return ReplicaSite(n_articles=300)


@pytest.fixture(scope="session")
def replica(replica_site: ReplicaSite) -> Iterator[ReplicaServer]:
    with ReplicaServer(replica_site) as server:
        yield server
