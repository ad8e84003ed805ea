"""The C yardstick (tests/perf/c_yardstick.c) compiled with the system C compiler and loaded with
ctypes: plain single-threaded checkerboard Metropolis / heat-bath sweeps (int8 states, xorshift64,
acceptance tables from :mod:`leapsbench.baselines.local`), a union-find Swendsen–Wang and a
stack-grown single-cluster Wolff.

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
import time
from pathlib import Path

import numpy as np
import pytest
from leapsbench.backends import get_backend
from leapsbench.baselines import cluster, local, local_ising, local_potts
from leapsbench.baselines.local_planes import has_planes
from leapsbench.baselines.local_tables import backend_table

from leapsbench.models import Ising, ising, potts
from leapsbench.perf import measure_ratio, pin_allocator

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
    "wolff_sweeps": [
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


def _table(model, rule: str) -> np.ndarray:
    """The float32 acceptance table (float64 for a Potts heat-bath with tiny weights) the
    library's fast kernel looks up (``local_ising`` / ``local_potts``), on numpy."""
    numpy = get_backend("numpy")
    if isinstance(model, Ising):
        return backend_table(local_ising.acceptance_table, model, model.beta, rule, numpy)
    return local_potts.table_on(model, model.beta, rule, numpy)


class Sweeper:
    """``sweep()`` runs one checkerboard sweep in C, in place on ``self.x`` (a numpy int8 copy of
    the states); returns the number of changed sites."""

    def __init__(self, model, x: np.ndarray, rule: str, seed: int = 1):
        if not has_planes(model.lattice):
            raise ValueError(f"the C yardstick needs an even torus, got {model.lattice}")
        self.lib, self.model, self.rule = load(), model, rule
        self.x = np.ascontiguousarray(x, dtype=np.int8).copy()
        self.state = np.array([seed or 1], dtype=np.uint64)
        self.table = np.ascontiguousarray(_table(model, rule))

    def sweep(self, n_sweeps: int = 1) -> int:
        B, Lx, Ly = self.x.shape
        head = (_ptr(self.x), B, Lx, Ly)
        tail = (_ptr(self.table), n_sweeps, _ptr(self.state))
        if isinstance(self.model, Ising):
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
        ising = isinstance(model, Ising)
        self.p = 1.0 - np.exp(-(2.0 if ising else 1.0) * model.beta * model.J)

    def _arguments(self, n_sweeps: int) -> tuple:
        """The arguments the C cluster updates share: states, shape, model, bond probability,
        sweeps, generator state, union-find parents."""
        B, Lx, Ly = self.x.shape
        ising = int(isinstance(self.model, Ising))
        return (
            _ptr(self.x),
            B,
            Lx,
            Ly,
            self.model.q,
            ising,
            self.p,
            n_sweeps,
            _ptr(self.state),
            _ptr(self.parent),
        )

    def sweep(self, n_sweeps: int = 1) -> int:
        return self.lib.swendsen_wang_sweeps(*self._arguments(n_sweeps), _ptr(self.value))


class Wolff(SwendsenWang):
    """``sweep()``: one Wolff update of every chain in C (a uniform seed, its cluster grown from
    a stack), in place on ``self.x``; returns the number of changed sites."""

    def sweep(self, n_sweeps: int = 1) -> int:
        return self.lib.wolff_sweeps(*self._arguments(n_sweeps))


KERNELS = (
    ("ising", "metropolis"),
    ("ising", "heatbath"),
    ("potts", "metropolis"),
    ("potts", "heatbath"),
)
SHAPES = ((16, 64), (64, 64), (256, 64), (24, 1000))
"""(L, chains) of the table: the issue's shapes (L = 24 with 1000 walkers is the AIS/SMC one)."""


def _model(kind: str, size: int):
    return ising(size, beta=0.4407) if kind == "ising" else potts(4, size, beta=1.0986)


def sweep_row(backend_name: str, kind: str, rule: str, size: int, chains: int) -> str:
    """One markdown row: flips/ns of ``baselines.local.sweep`` on the backend and of the C
    yardstick, and their ratio (median of 7 interleaved repeats, process CPU time)."""
    model, numpy = _model(kind, size), get_backend("numpy")
    backend = get_backend(backend_name)
    c = Sweeper(model, model.uniform_states(numpy, numpy.rng(0), chains), rule)
    c.sweep(20)
    rng, state = backend.rng(1), [backend.from_numpy(c.x.copy(), dtype=backend.xp.int8)]

    def kernel():
        state[0] = local.sweep(model, state[0], model.beta, rng, rule)[0]

    m = measure_ratio("row", kernel, c.sweep, repeats=7, min_seconds=0.1, clock=time.process_time)
    sites = chains * model.n_sites
    return (
        f"| {backend_name} | {kind} {rule} | {size} | {chains} | "
        f"{sites / m.kernel_seconds / 1e9:.3f} | {sites / m.reference_seconds / 1e9:.3f} | "
        f"{1 / m.median:.2f} ({1 / max(m.ratios):.2f}–{1 / min(m.ratios):.2f}) |"
    )


def torch_vs_numpy_row(kind: str, rule: str, size: int, chains: int) -> str:
    """One markdown row: torch CPU time / numpy time of ``baselines.local.sweep``, both sweeping
    alternately in this process (median of 5 interleaved repeats, process CPU time; the range
    of the 5 ratios), the issue's "torch within 1.5× of numpy" measured without the minutes
    between two rows of :func:`sweep_row`."""
    model = _model(kind, size)

    def sweeper(name):
        backend = get_backend(name)
        rng, state = backend.rng(1), [model.uniform_states(backend, backend.rng(0), chains)]

        def kernel():
            state[0] = local.sweep(model, state[0], model.beta, rng, rule)[0]

        return kernel

    m = measure_ratio(
        "tvn", sweeper("torch"), sweeper("numpy"), 5, min_seconds=0.1, clock=time.process_time
    )
    return (
        f"| {kind} {rule} | {size} | {chains} | "
        f"{m.median:.2f} ({min(m.ratios):.2f}–{max(m.ratios):.2f}) |"
    )


def cluster_row(kind: str, rule: str, size: int, chains: int = 64) -> str:
    """One markdown row: clusters/s and site updates/s of ``baselines.cluster.update`` (numpy +
    scipy) and of its C yardstick (union-find Swendsen–Wang, stack-grown Wolff), and the ratio
    of site updates/s (median of 7 interleaved repeats, process CPU time).  Site updates: B·N
    per Swendsen–Wang update, the changed sites per Wolff update (one cluster per chain; the
    numpy side counts them inside its timed calls, a B·N comparison, ~1 % of an update)."""
    model, numpy = _model(kind, size), get_backend("numpy")
    wolff = rule == "wolff"
    if wolff:  # from the ordered state: Potts q = 4 at L = 64 barely orders in 2000 updates
        start = model.from_values(np.zeros((chains, *model.shape), dtype=np.int8))
        c = Wolff(model, start)
        c.sweep(2000)
    else:
        c = SwendsenWang(model, model.uniform_states(numpy, numpy.rng(0), chains))
        c.sweep(20)
    rng, state, c_counts, py_changed = np.random.default_rng(1), [c.x.copy()], [], []

    def kernel():
        old = state[0]
        state[0] = cluster.update(model, old, model.beta, rng, rule)
        if wolff:
            py_changed.append(np.count_nonzero(state[0] != old))

    m = measure_ratio(
        "row",
        kernel,
        lambda: c_counts.append(c.sweep()),
        repeats=7,
        min_seconds=0.1,
        clock=time.process_time,
    )
    sites = chains * model.n_sites
    if wolff:
        py_clusters, py_sites = chains, np.mean(py_changed)
        c_clusters, c_sites = chains, np.mean(c_counts)
    else:
        counts = [cluster.clusters(model, state[0], model.beta, rng)[1] for _ in range(10)]
        py_clusters, py_sites = np.mean(counts), sites
        c_clusters, c_sites = np.mean(c_counts), sites
    py_rate, c_rate = py_sites / m.kernel_seconds, c_sites / m.reference_seconds
    sizes = f"{py_sites / chains:.0f} / {c_sites / chains:.0f}" if wolff else "—"
    return (
        f"| numpy+scipy | {kind} {rule} | {size} | {chains} | "
        f"{py_clusters / m.kernel_seconds:.3g} | {py_rate / 1e9:.4f} | "
        f"{c_clusters / m.reference_seconds:.3g} | {c_rate / 1e9:.4f} | {py_rate / c_rate:.2f} | "
        f"{sizes} |"
    )


def main(backends=("numpy", "torch", "array-api-strict")) -> None:
    """Print the docs/perf.md tables (``python tests/perf/c_yardstick.py [BACKEND ...]``; no
    sweep table for ``clusters``), with glibc's malloc thresholds pinned like the gates'
    (leapsbench.perf.pin_allocator)."""
    pin_allocator()
    if backends:
        print("| backend | kernel | L | chains | flips/ns | C flips/ns | ratio to C (range) |")
        print("|---|---|---|---|---|---|---|")
    for backend in backends:
        for kind, rule in KERNELS:
            for size, chains in SHAPES:
                print(sweep_row(backend, kind, rule, size, chains), flush=True)
    print()
    print(
        "| backend | update | L | chains | clusters/s | site updates/ns | C clusters/s "
        "| C site updates/ns | ratio to C | mean cluster (numpy / C) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in ("ising", "potts"):
        for rule in ("swendsen-wang", "wolff"):
            for size in (24, 64):
                print(cluster_row(kind, rule, size), flush=True)


def torch_vs_numpy() -> None:
    """Print the torch-vs-numpy table (``python tests/perf/c_yardstick.py torch-vs-numpy``)."""
    pin_allocator()
    print("| kernel | L | chains | torch time / numpy time (range) |")
    print("|---|---|---|---|")
    for kind, rule in KERNELS:
        for size, chains in SHAPES:
            print(torch_vs_numpy_row(kind, rule, size, chains), flush=True)


def parse_args(argv=None):
    import argparse

    from leapsbench.backends.backend import LOADERS

    parser = argparse.ArgumentParser(
        description="Print docs/perf.md's tables: checkerboard sweeps against the C yardstick "
        "per backend (then the cluster table), or only the cluster table (clusters), or torch "
        "CPU time / numpy time per kernel (torch-vs-numpy)."
    )
    parser.add_argument(
        "what",
        nargs="*",
        default=["numpy", "torch", "array-api-strict"],
        metavar="BACKEND|clusters|torch-vs-numpy",
        help=f"backends ({', '.join(LOADERS)}; default numpy torch array-api-strict), or one of "
        "the two modes alone",
    )
    args = parser.parse_args(argv)
    modes = {"clusters", "torch-vs-numpy"} & set(args.what)
    if modes and len(args.what) > 1:
        parser.error(f"{modes.pop()} runs alone, not with {' '.join(args.what)}")
    unknown = set(args.what) - set(LOADERS) - {"clusters", "torch-vs-numpy"}
    if unknown:
        parser.error(f"unknown {', '.join(sorted(unknown))}; known backends: {', '.join(LOADERS)}")
    return tuple(args.what)


if __name__ == "__main__":
    names = parse_args()
    if names == ("torch-vs-numpy",):
        torch_vs_numpy()
    else:
        main(() if names == ("clusters",) else names)
