"""Finish WARC files left ``.open`` by a killed run, keeping every complete record.

Each record is one gzip member, so a record is complete exactly when its member decompresses to
its end (the gzip trailer checks CRC and length); anything after the last such member is torn.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from pathlib import Path

from crawler.warc.index import OPEN_SUFFIX, finalize

logger = logging.getLogger(__name__)

_READ_SIZE = 1 << 20


def complete_length(path: Path) -> int:
    """Bytes from the start of ``path`` to the end of its last complete gzip member."""
    complete = position = 0
    inflater = zlib.decompressobj(wbits=31)
    with path.open("rb") as f:
        while chunk := f.read(_READ_SIZE):
            while chunk:
                try:
                    inflater.decompress(chunk)
                except zlib.error:
                    return complete
                if not inflater.eof:
                    position += len(chunk)
                    break
                position += len(chunk) - len(inflater.unused_data)
                complete = position
                chunk = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
    return complete


def _owned_by_live_process(path: Path, host: str) -> bool:
    """True unless the file is ours to finish: written on this host by a process now gone."""
    parts = path.name.removesuffix(".warc.gz" + OPEN_SUFFIX).rsplit("-", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        return False
    _, file_host, pid = parts
    if file_host != host:
        return True  # its own host's next run finishes it; we cannot tell if it is alive
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    """A killed process that nobody reaped (containers often lack an init) is gone too."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def recover(directory: Path, host: str | None = None) -> list[Path]:
    """Truncates, indexes and renames leftover ``*.warc.gz.open`` files; returns the results."""
    host = host or safe_hostname()
    recovered = []
    for path in sorted(directory.glob("*.warc.gz" + OPEN_SUFFIX)):
        if _owned_by_live_process(path, host):
            continue
        size, keep = path.stat().st_size, complete_length(path)
        if keep == 0:
            logger.warning("Removing %s: no complete WARC record in it", path)
            path.unlink()
            continue
        if keep < size:
            logger.warning("Truncating torn record at the end of %s (%d -> %d)", path, size, keep)
            os.truncate(path, keep)
        recovered.append(finalize(path))
    return recovered


def safe_hostname() -> str:
    """The host name as it goes into file names: no dashes, so names split unambiguously."""
    name = socket.gethostname().split(".")[0] or "localhost"
    return "".join(c if c.isalnum() else "_" for c in name)
