"""Spin-glass instances read from files, kept under their content hash so that a name finds them.

``leapsbench run --couplings FILE`` reads TwoBo's format (a scipy sparse N × N upper-triangular
coupling matrix over row-major sites, ``scipy.sparse.save_npz``; :meth:`Couplings.load`) and
stores it as ``results/instances/<hash>.npz`` under the current directory (same format; written
once, atomically).  The benchmark ``ea-file-<hash>-L<Lx>[x<Ly>]-b<beta>[-open]`` then reads the
couplings from there (:func:`stored_couplings`), wherever the name is parsed: runs, tables,
workers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from leapsbench.models import Couplings

INSTANCE_DIR = Path("results") / "instances"
"""Under the current directory, like the results store and the user's references."""


def _path(content_hash: str, directory) -> Path:
    return Path(directory) / f"{content_hash}.npz"


def register_couplings(path, Lx: int, Ly: int, periodic: bool, directory=None) -> Couplings:
    """The couplings of file ``path`` on an Lx × Ly lattice, stored under their content hash."""
    directory = Path(directory or INSTANCE_DIR)
    try:
        couplings = Couplings.load(path, Lx, Ly, periodic)
    except (OSError, ValueError) as err:
        raise ValueError(f"--couplings {path}: {err}") from None
    target = _path(couplings.content_hash(), directory)
    if not target.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(suffix=".npz", dir=directory)
        os.close(handle)
        couplings.save(temporary)
        os.replace(temporary, target)
    return couplings


def stored_couplings(content_hash: str, Lx: int, Ly: int, periodic: bool, directory=None):
    """The stored couplings of ``content_hash`` (a ValueError says how to register them)."""
    path = _path(content_hash, directory or INSTANCE_DIR)
    if not path.is_file():
        raise ValueError(
            f"no stored spin-glass instance {content_hash} ({path}); give its file once with "
            "--couplings FILE"
        )
    couplings = Couplings.load(path, Lx, Ly, periodic)
    if couplings.content_hash() != content_hash:
        raise ValueError(f"{path} holds couplings of hash {couplings.content_hash()}")
    return couplings
