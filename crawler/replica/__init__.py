"""A deterministic local replica of www.koreaherald.com that the crawler is tested against."""

from __future__ import annotations

from crawler.replica.server import ReplicaServer, RequestLog
from crawler.replica.site import KST, Article, ReplicaSite

__all__ = ["KST", "Article", "ReplicaServer", "ReplicaSite", "RequestLog"]
