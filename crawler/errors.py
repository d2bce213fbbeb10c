"""Errors that mean "the user asked for something we cannot do", as opposed to bugs.

Commands and the nightly runner print these as one line that names the bad value and what
was expected, without a traceback, and exit non-zero (the nightly runner with 15).
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad argument, setting, profile or path; the message names the value and the fix."""
