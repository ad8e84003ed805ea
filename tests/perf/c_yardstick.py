"""The C yardstick (tests/perf/c_yardstick.c) compiled with the system C compiler and loaded with
ctypes: plain single-threaded checkerboard Metropolis / heat-bath sweeps (int8 states, xorshift64,
acceptance tables from :mod:`leapsbench.baselines.local`) and a union-find Swendsen–Wang.

``load()`` compiles once per source version (``cc -O2``, into the temp directory, written
atomically) and skips the calling test with a clear message where no compiler is found.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines import local

SOURCE = Path(__file__).with_name("c_yardstick.c")
_I64, _PTR = ctypes.c_int64, ctypes.c_void_p
SIGNATURES = {
    "ising_sweeps": [_PTR, _I64, _I64, _I64, _PTR, _I64, _PTR],
    "potts_metropolis_sweeps": [_PTR, _I64, _I64, _I64, ctypes.c_int, _PTR, _I64, _PTR],
    "potts_heatbath_sweeps": [_PTR, _I64, _I64, _I64, ctypes.c_int, _PTR, _I64, _PTR],
    "swendsen_wang_sweeps": [
        _PTR,
        _I64,
        _I64,
        _I64,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_double,
        _I64,
        _PTR,
        _PTR,
        _PTR,
    ],
}


def compiler() -> str | None:
    """The system C compiler ($CC, cc or gcc), or None."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@functools.cache
def _library(path: str):
    lib = ctypes.CDLL(path)
    for name, args in SIGNATURES.items():
        getattr(lib, name).argtypes = args
        getattr(lib, name).restype = _I64
    return lib


def load():
    """The compiled yardstick library (pytest.skip where there is no C compiler)."""
    cc = compiler()
    if cc is None:
        pytest.skip("no C compiler found ($CC, cc, gcc): the C-yardstick gates need one")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"leapsbench-c-yardstick-{digest}.so"
    if not target.exists():
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run(
            [cc, "-O2", "-shared", "-fPIC", "-o", str(partial), str(SOURCE)],
            check=True,
            capture_output=True,
        )
        os.replace(partial, target)
    return _library(str(target))


def _ptr(array: np.ndarray):
    return array.ctypes.data_as(ctypes.c_void_p)


class Sweeper:
    """``sweep()`` runs one checkerboard sweep in C, in place on ``self.x`` (a numpy int8 copy of
    the states); returns the number of changed sites."""

    def __init__(self, model, x: np.ndarray, rule: str, seed: int = 1):
        if not local.has_planes(model.lattice):
            raise ValueError(f"the C yardstick needs an even torus, got {model.lattice}")
        self.lib, self.model, self.rule = load(), model, rule
        self.x = np.ascontiguousarray(x, dtype=np.int8).copy()
        self.state = np.array([seed or 1], dtype=np.uint64)
        table = local.backend_table(model, model.beta, rule, get_backend("numpy"))
        self.table = np.ascontiguousarray(table)

    def sweep(self, n_sweeps: int = 1) -> int:
        B, Lx, Ly = self.x.shape
        head = (_ptr(self.x), B, Lx, Ly)
        tail = (_ptr(self.table), n_sweeps, _ptr(self.state))
        if self.model.kind == "ising":
            return self.lib.ising_sweeps(*head, *tail)
        name = "potts_metropolis_sweeps" if self.rule == "metropolis" else "potts_heatbath_sweeps"
        return getattr(self.lib, name)(*head, self.model.q, *tail)


class SwendsenWang:
    """``sweep()``: one Swendsen–Wang update of every chain in C, in place on ``self.x``;
    returns the number of clusters."""

    def __init__(self, model, x: np.ndarray, seed: int = 1):
        self.lib, self.model = load(), model
        self.x = np.ascontiguousarray(x, dtype=np.int8).copy()
        self.state = np.array([seed or 1], dtype=np.uint64)
        self.parent = np.empty(model.n_sites, dtype=np.int32)
        self.value = np.empty(model.n_sites, dtype=np.int8)
        ising = model.kind == "ising"
        self.p = 1.0 - np.exp(-(2.0 if ising else 1.0) * model.beta * model.J)

    def sweep(self, n_sweeps: int = 1) -> int:
        B, Lx, Ly = self.x.shape
        return self.lib.swendsen_wang_sweeps(
            _ptr(self.x),
            B,
            Lx,
            Ly,
            self.model.q,
            int(self.model.kind == "ising"),
            self.p,
            n_sweeps,
            _ptr(self.state),
            _ptr(self.parent),
            _ptr(self.value),
        )
