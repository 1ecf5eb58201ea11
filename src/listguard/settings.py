"""Where listguard keeps its data, and the knobs a deployment sets through the environment.

Everything is resolved at call time (not import time) so tests and long-running servers see
changes to the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def home() -> Path:
    """``$LISTGUARD_HOME``, else the platform's user data folder (``~/.local/share/listguard``)."""
    value = os.environ.get("LISTGUARD_HOME")
    path = Path(value).expanduser() if value else Path(user_data_dir("listguard", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """``$LISTGUARD_DATABASE_URL`` (e.g. ``postgresql://...``), else SQLite in :func:`home`."""
    url = os.environ.get("LISTGUARD_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            # Use psycopg 3, the maintained driver, unless the URL names one.
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{home() / 'listguard.db'}"


def max_file_bytes() -> int:
    """Refusal size for one list file (``$LISTGUARD_MAX_FILE_MB``, default 512 MB)."""
    return int(float(os.environ.get("LISTGUARD_MAX_FILE_MB", "512")) * 1024 * 1024)


def lists_dir() -> Path | None:
    """``$LISTGUARD_LISTS``: a folder of official list files ``listguard load`` uses by default."""
    value = os.environ.get("LISTGUARD_LISTS")
    return Path(value).expanduser() if value else None


def update_timeout() -> float:
    """Deadline in seconds for downloading one list file, retries included
    (``$LISTGUARD_UPDATE_TIMEOUT``, default 900; ``listguard update --timeout`` overrides)."""
    value = os.environ.get("LISTGUARD_UPDATE_TIMEOUT", "900")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"LISTGUARD_UPDATE_TIMEOUT={value!r} is not a number of seconds above 0")
    return seconds
