"""Where a result came from: package versions, git commit, host (recorded in every row)."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from pathlib import Path

from leapsbench.threads import thread_setting

REPO_ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    """Output of ``git ARGS`` in the source tree (raises when git is missing or fails)."""
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


@functools.cache
def git_commit() -> str | None:
    """HEAD of the source tree (suffix ``-dirty`` with uncommitted changes), None outside git."""
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def versions() -> dict[str, str]:
    """Versions of python, leapsbench and every array library already imported."""
    import leapsbench

    out = {"python": platform.python_version(), "leapsbench": leapsbench.__version__}
    for name in ("numpy", "scipy", "torch", "cupy", "array_api_strict"):
        module = sys.modules.get(name)
        if module is not None:
            out[name] = getattr(module, "__version__", "?")
    return out


def host() -> dict[str, object]:
    return {
        "node": platform.node(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": os.cpu_count(),
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "torch_threads": thread_setting(),  # what training and torch sampling ran with
    }
