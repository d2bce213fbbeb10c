"""Typed reads of settings and checks of paths that fail as one-line `ConfigError`s.

Scrapy's `getint("EXTRACT_WORKERS")` on `-s EXTRACT_WORKERS=abc` raises a bare ValueError
deep in a component; config objects read through these helpers instead, and the commands
check every setting against its declared type before anything starts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from crawler.errors import ConfigError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def int_setting(
    settings: BaseSettings,
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """`settings.getint(name)`, or a ConfigError naming the value and what is expected."""
    value = settings.get(name, default)
    try:
        number = settings.getint(name, default)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r}: expected an integer") from None
    low = minimum is not None and number < minimum
    if low or (maximum is not None and number > maximum):
        expected = f"of at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ConfigError(f"{name}={value!r}: expected an integer {expected}")
    return number


def float_setting(
    settings: BaseSettings, name: str, default: float, *, minimum: float | None = None
) -> float:
    """`settings.getfloat(name)`, or a ConfigError naming the value and what is expected."""
    value = settings.get(name, default)
    try:
        number = settings.getfloat(name, default)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r}: expected a number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={value!r}: expected a number of at least {minimum}")
    return number


def bool_setting(settings: BaseSettings, name: str, default: bool) -> bool:
    """`settings.getbool(name)`, or a ConfigError naming the value and what is expected."""
    try:
        return settings.getbool(name, default)
    except (TypeError, ValueError):
        value = settings.get(name, default)
        raise ConfigError(f"{name}={value!r}: expected True or False") from None


def check_declared_types(settings: BaseSettings) -> None:
    """Every bool and number setting of ours and Scrapy's must read as its default's type.

    Ours are checked strictly (an int stays an int); Scrapy's own as numbers, because Scrapy
    reads some int defaults as floats (DOWNLOAD_TIMEOUT). The defaults are imported here, not
    with this module: its typed reads also serve the extraction workers' config objects, which
    have no other use for Scrapy (0.2 s of their fork server's start).
    """
    from scrapy.settings import default_settings

    from crawler import settings as project_settings

    for name, default in _declared_defaults(default_settings, project_settings).items():
        if name not in settings or settings.get(name) == default:
            continue
        ours = not hasattr(default_settings, name)
        if isinstance(default, bool):
            bool_setting(settings, name, default)
        elif isinstance(default, int) and ours:
            int_setting(settings, name, default)
        elif isinstance(default, int | float):
            float_setting(settings, name, float(default))


def _declared_defaults(*modules: ModuleType) -> dict[str, Any]:
    """The bool and number settings of `modules`, the later ones' values winning."""
    declared = {}
    for module in modules:
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, bool | int | float):
                declared[name] = value
    return declared


def writable_directory(path: Path, setting: str = "OUTPUT_DIR") -> Path:
    """Create `path` if needed and prove a file can appear in it, before any work starts."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".write-check-", dir=path)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        message = f"{setting}={str(path)!r}: expected a writable directory ({reason})"
        raise ConfigError(message) from None
    return path


def existing_directory(path: Path, setting: str, expected: str) -> Path:
    """A directory that must already hold something, e.g. a crawl's output."""
    if not path.is_dir():
        raise ConfigError(f"{setting}={str(path)!r}: no such directory; expected {expected}")
    return path
