"""Site profiles: the shipped ones (`crawler/sites/<name>/profile.toml`) and files given by path.

Profiles are found by name or by host; see `crawler.sites.profile` for the format.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from crawler.errors import ConfigError
from crawler.sites.profile import SiteProfile, generic_canonical, load_profile

__all__ = [
    "SiteProfile",
    "find_profile",
    "generic_canonical",
    "load_profile",
    "shipped_profiles",
    "site_for_url",
]

SITES_DIR = Path(__file__).parent
PROFILE_FILE = "profile.toml"


@cache
def shipped_profiles() -> dict[str, SiteProfile]:
    """Every profile in this package, by name."""
    profiles = {}
    for path in sorted(SITES_DIR.glob(f"*/{PROFILE_FILE}")):
        profile = load_profile(path)
        if profile.name != path.parent.name:
            raise ConfigError(f"{path}: name {profile.name!r} differs from its folder")
        profiles[profile.name] = profile
    return profiles


def find_profile(name_or_host: str) -> SiteProfile:
    """A shipped profile by its name, or by one of its hosts (`www.` optional)."""
    wanted = name_or_host.strip().lower()
    profiles = shipped_profiles()
    if wanted in profiles:
        return profiles[wanted]
    host = (urlsplit(wanted).hostname if "://" in wanted else wanted) or ""
    for profile in profiles.values():
        if host in profile.hosts or f"www.{host}" in profile.hosts:
            return profile
    raise ConfigError(
        f"unknown site {name_or_host!r}; shipped sites: {', '.join(profiles)}"
        " (or give a profile file with -a profile=PATH)"
    )


def site_for_url(url: str, profiles: dict[str, SiteProfile] | None = None) -> SiteProfile | None:
    """The profile whose hosts include the URL's host, if any."""
    for profile in (profiles or shipped_profiles()).values():
        if profile.owns(url):
            return profile
    return None
