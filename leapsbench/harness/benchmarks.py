"""Benchmark names, parsed by a grammar rather than only looked up.

``{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open]`` builds any benchmark the grammar allows,
e.g. ``ising-L24-b0.4407``, ``potts-q4-L16-b1.0986``, ``ising-L3x4-b0.3-h0.1``.

Spin glasses: ``ea[-gauss]-L<Lx>[x<Ly>]-b<beta>-i<seed>[-open]``, the 2D Edwards–Anderson model
at zero field with ±J (or Gaussian) couplings of instance ``seed``
(:func:`leapsbench.models.ea_instance`), e.g. ``ea-L16-b1.0-i3``, ``ea-gauss-L4x5-b2.0-i0-open``;
on graphs ``ea3d-L8-b0.8-i0`` and ``rrg-N256-d3-b1.0-i0`` (:mod:`.graph_benchmarks`).
A spin glass whose couplings came from a file is named after their content hash,
``ea-file-<hash>-L<Lx>[x<Ly>]-b<beta>[-open]``; ``leapsbench run --couplings FILE`` stores the
file under that hash (:mod:`.instances`), where the name finds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leapsbench.models import Ising, Lattice, Potts, SpinGlass, ea, spin_glass
from leapsbench.models.lattice import parse_side

from .graph_benchmarks import GRAPH_GRAMMAR, GRAPH_SPIN_GLASS_BENCHMARKS, parse_graph_benchmark
from .instances import register_couplings, stored_couplings

_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
NAME_PATTERN = re.compile(
    rf"^(?P<kind>ising|potts-q(?P<q>[0-9]+))-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?"
    rf"-b(?P<beta>-?{_NUMBER})(?:-h(?P<h>-?{_NUMBER}))?(?P<open>-open)?$"
)
EA_PATTERN = re.compile(
    rf"^ea(?P<gauss>-gauss)?-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?"
    rf"-b(?P<beta>-?{_NUMBER})-i(?P<seed>[0-9]+)(?P<open>-open)?$"
)
EA_FILE_PATTERN = re.compile(
    rf"^ea-file-(?P<hash>[0-9a-f]+)-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?"
    rf"-b(?P<beta>-?{_NUMBER})(?P<open>-open)?$"
)
FILE_TEMPLATE = re.compile(
    rf"^ea-file-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?-b(?P<beta>{_NUMBER})(?P<open>-open)?$"
)
"""``ea-file-L<Lx>[x<Ly>]-b<beta>[-open]``: a benchmark whose couplings ``--couplings`` gives."""
GRAMMAR = (
    "{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open] or "
    "ea[-gauss]-L<Lx>[x<Ly>]-b<beta>-i<seed>[-open] or " + GRAPH_GRAMMAR
)
"""``beta`` >= 0; the pattern accepts a sign so that a negative β gets its own error message."""


@dataclass(frozen=True)
class BenchmarkSpec:
    """A named benchmark: the model it defines (β is the target inverse temperature).

    ``name`` is canonical (:func:`canonical_name`): every spelling of one model is one benchmark.
    """

    name: str
    model: Ising | Potts | SpinGlass


def _number(value: float) -> str:
    """The shortest text that reads back as ``value``: ``0.44070`` → ``0.4407``, ``1`` → ``1.0``."""
    return repr(float(value))


def canonical_name(model: Ising | Potts) -> str:
    """The one name of ``model``: no leading zeros, ``x<Ly>`` only when Ly ≠ Lx, numbers in their
    shortest form, ``-h`` only for a non-zero field (``ising-L024x24-b0.44070-h0`` →
    ``ising-L24-b0.4407``).  Benchmarks are named for the built-in models only (a model of one's
    own runs through the Python API); another ``kind`` is a ValueError."""
    if model.kind not in ("ising", "potts", "spin-glass"):
        raise ValueError(
            f"no benchmark name for a {model.kind!r} model; benchmarks exist for ising, potts "
            "and spin-glass models"
        )
    kind = {"ising": "ising", "spin-glass": "ea"}.get(model.kind, f"potts-q{model.q}")
    if model.kind == "spin-glass":
        if model.h != 0:
            raise ValueError(f"spin-glass benchmarks are at zero field, got h={model.h}")
        if model.instance is None:
            kind = f"ea-file-{model.couplings.content_hash()}"
        elif model.instance[1]:
            kind = "ea-gauss"
    Lx, Ly = model.shape
    name = f"{kind}-L{Lx}" + ("" if Ly == Lx else f"x{Ly}") + f"-b{_number(model.beta)}"
    if model.kind == "ising" and model.h != 0:
        name += f"-h{_number(model.h)}"
    if model.kind == "spin-glass" and model.instance is not None:
        name += f"-i{model.instance[0]}"
    return name + ("" if model.lattice.periodic else "-open")


def _sides(match) -> tuple[int, int]:
    """(Lx, Ly) of a name's match (Ly = Lx when not given), each checked (``parse_side``)."""
    Lx = parse_side("Lx", match["Lx"])
    return Lx, parse_side("Ly", match["Ly"]) if match["Ly"] else Lx


def _parse_ea(name: str, match) -> BenchmarkSpec:
    """The spin-glass benchmark of an :data:`EA_PATTERN` match."""
    beta = float(match["beta"])
    if beta < 0:
        raise ValueError(f"benchmark {name!r}: beta must be >= 0, got {match['beta']}")
    Lx, Ly = _sides(match)
    periodic = match["open"] is None
    if "hash" in match.groupdict():
        couplings = stored_couplings(match["hash"], Lx, Ly, periodic)
        model = spin_glass(couplings, beta)
    else:
        model = ea(Lx, Ly, beta, int(match["seed"]), match["gauss"] is not None, periodic)
    return BenchmarkSpec(name=canonical_name(model), model=model)


def with_couplings_file(name: str, path) -> str:
    """``name`` with the couplings of file ``path`` where it is a :data:`FILE_TEMPLATE`
    (``ea-file-L16-b1.0`` → ``ea-file-<hash>-L16-b1.0``; the file is stored under its hash,
    :func:`.instances.register_couplings`); any other name unchanged."""
    match = FILE_TEMPLATE.match(name.strip())
    if match is None:
        return name
    Lx, Ly = _sides(match)
    couplings = register_couplings(path, Lx, Ly, periodic=match["open"] is None)
    return canonical_name(spin_glass(couplings, float(match["beta"])))


def parse_benchmark(name: str) -> BenchmarkSpec:
    """Build the benchmark a name describes, under its canonical name; a ValueError explains the
    grammar otherwise."""
    graph = parse_graph_benchmark(name)
    if graph is not None:
        return BenchmarkSpec(*graph)
    match = NAME_PATTERN.match(name.strip())
    ea_match = EA_PATTERN.match(name.strip()) or EA_FILE_PATTERN.match(name.strip())
    if ea_match is not None:
        return _parse_ea(name, ea_match)
    if name.strip().startswith("ea-file-"):
        raise ValueError(
            f"benchmark {name!r}: couplings from a file are named "
            "ea-file-<hash>-L<Lx>[x<Ly>]-b<beta>[-open]; give the file with --couplings FILE"
        )
    if match is None:
        raise ValueError(f"cannot parse benchmark name {name!r}; expected {GRAMMAR}")
    Lx = parse_side("Lx", match["Lx"])
    Ly = parse_side("Ly", match["Ly"]) if match["Ly"] else Lx
    lattice = Lattice(Lx, Ly, periodic=match["open"] is None)
    beta = float(match["beta"])
    if beta < 0:
        raise ValueError(f"benchmark {name!r}: beta must be >= 0, got {match['beta']}")
    if match["q"] is not None:
        if match["h"] is not None:
            raise ValueError(f"benchmark {name!r}: Potts benchmarks take no field -h")
        model = Potts(lattice, beta=beta, q=int(match["q"]))
    else:
        model = Ising(lattice, beta=beta, h=float(match["h"] or 0.0))
    return BenchmarkSpec(name=canonical_name(model), model=model)


PAPER_BENCHMARKS = (
    "ising-L24-b0.28",
    "ising-L24-b0.4407",
    "ising-L24-b0.6",
    "potts-q4-L16-b0.9",
    "potts-q4-L16-b1.0986",
    "potts-q4-L16-b1.3",
)
"""The six benchmarks of the LEAPS paper (Ising 24×24 and Potts q = 4 16×16, three β each)."""

EXACT_BENCHMARKS = (
    "ising-L4-b0.4407",
    "ising-L4-b0.28",
    "ising-L4-b0.6",
    "ising-L3x4-b0.4-h0.1",
    "potts-q3-L3-b1.0",
    "potts-q4-L3-b1.0986",
    "ising-L15-b0.4407",
)
"""Small benchmarks with an exact answer: enumeration (⟨m⟩ and log Z) or Kaufman (log Z only,
the paper's 15×15 at β_c)."""

AUTHORS_BENCHMARKS = ("ising-L15-b0.4407", "potts-q3-L15-b1.001")
"""The models of the LEAPS authors' released trained networks (``run --checkpoint``)."""

SPIN_GLASS_BENCHMARKS = tuple(
    f"ea-L{L}-b{beta}-i{seed}" for L in (16, 32, 64) for beta in (1.0, 2.0) for seed in (0, 1, 2)
)
"""2D ±J Edwards–Anderson, L = 16, 32 and 64, β = 1 and 2, instances 0–2 (exact: Pfaffians,
computed once per process; their cost per L in docs/perf.md)."""

SUITES = {
    "quick": ("ising-L4-b0.4407", "potts-q3-L3-b1.0"),
    "exact": EXACT_BENCHMARKS,
    "paper": PAPER_BENCHMARKS,
    "authors": AUTHORS_BENCHMARKS,
    "spin-glass": SPIN_GLASS_BENCHMARKS + GRAPH_SPIN_GLASS_BENCHMARKS,
}
"""Named groups of benchmarks: ``quick`` (every method in a few minutes on 2 CPU cores),
``exact`` (everything with an exact answer), ``paper`` (the six, paper budgets, for a GPU),
``authors`` (the two 15 × 15 models of the authors' released networks), ``spin-glass``."""

REGISTERED = tuple(dict.fromkeys(PAPER_BENCHMARKS + EXACT_BENCHMARKS + AUTHORS_BENCHMARKS))


def suite_benchmarks(suite: str) -> tuple[str, ...]:
    """The benchmark names of ``suite``; a ValueError lists the suites otherwise."""
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose from {', '.join(SUITES)}")
    return SUITES[suite]


def get_benchmark(name: str) -> BenchmarkSpec:
    """A registered or grammar-built benchmark; the error names the grammar and the registry."""
    try:
        return parse_benchmark(name)
    except ValueError as err:
        raise ValueError(f"{err}; registered benchmarks: {', '.join(REGISTERED)}") from None
