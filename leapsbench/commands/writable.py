"""Up-front checks that an output directory can be written, before any work is done.

A run that finds out only at the end that ``--results`` is read-only (or a file) loses the
result it computed; these checks make the same mistake a clear error before the run starts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def check_writable_dir(path: Path | str, flag: str) -> None:
    """Create ``path`` if needed and write a probe file in it; a ValueError says what is wrong."""
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"{flag} {path}: {parent} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as err:
        reason = err.strerror or str(err)
        raise ValueError(f"{flag} {path} is not a writable directory ({reason})") from None
