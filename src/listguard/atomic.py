"""Atomic file writes: a reader (another process, a crash-restarted one) sees the old file or the
new one, never a partial one. Caches and state files are replaced this way."""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
import time
from pathlib import Path
from typing import Any


#: Temporary files are named ``.tmp-<pid>-<random><suffix>``: the pid tells a file a running
#: process is writing from one a killed process left behind.
TMP_PREFIX = ".tmp-"
_TMP_PID = re.compile(r"^\.tmp-(\d+)-")
#: A temporary file without a pid (written before pids were recorded) is stale after this long.
STALE_AFTER = 3600.0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temps(folder: Path) -> int:
    """Remove temporary files a killed writer left in ``folder`` (a pickle of the whole index
    is hundreds of MB); files of running writers are kept. Returns how many were removed."""
    removed = 0
    try:
        candidates = list(Path(folder).glob(f"{TMP_PREFIX}*"))
    except OSError:
        return 0
    for tmp in candidates:
        m = _TMP_PID.match(tmp.name)
        try:
            stale = not _alive(int(m.group(1))) if m else time.time() - tmp.stat().st_mtime > STALE_AFTER
            if stale:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def write_pickle(obj: Any, path: Path) -> None:
    """Pickle ``obj`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
