"""Benchmark names, parsed by a grammar rather than only looked up.

``{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open]`` builds any benchmark the grammar allows,
e.g. ``ising-L24-b0.4407``, ``potts-q4-L16-b1.0986``, ``ising-L3x4-b0.3-h0.1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leapsbench.models import Ising, Lattice, Potts
from leapsbench.models.lattice import parse_side

_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
NAME_PATTERN = re.compile(
    rf"^(?P<kind>ising|potts-q(?P<q>[0-9]+))-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?"
    rf"-b(?P<beta>-?{_NUMBER})(?:-h(?P<h>-?{_NUMBER}))?(?P<open>-open)?$"
)
GRAMMAR = "{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open]"
"""``beta`` >= 0; the pattern accepts a sign so that a negative β gets its own error message."""


@dataclass(frozen=True)
class BenchmarkSpec:
    """A named benchmark: the model it defines (β is the target inverse temperature).

    ``name`` is canonical (:func:`canonical_name`): every spelling of one model is one benchmark.
    """

    name: str
    model: Ising | Potts


def _number(value: float) -> str:
    """The shortest text that reads back as ``value``: ``0.44070`` → ``0.4407``, ``1`` → ``1.0``."""
    return repr(float(value))


def canonical_name(model: Ising | Potts) -> str:
    """The one name of ``model``: no leading zeros, ``x<Ly>`` only when Ly ≠ Lx, numbers in their
    shortest form, ``-h`` only for a non-zero field (``ising-L024x24-b0.44070-h0`` →
    ``ising-L24-b0.4407``)."""
    kind = "ising" if model.kind == "ising" else f"potts-q{model.q}"
    Lx, Ly = model.shape
    name = f"{kind}-L{Lx}" + ("" if Ly == Lx else f"x{Ly}") + f"-b{_number(model.beta)}"
    if model.kind == "ising" and model.h != 0:
        name += f"-h{_number(model.h)}"
    return name + ("" if model.lattice.periodic else "-open")


def parse_benchmark(name: str) -> BenchmarkSpec:
    """Build the benchmark a name describes, under its canonical name; a ValueError explains the
    grammar otherwise."""
    match = NAME_PATTERN.match(name.strip())
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

SUITES = {
    "quick": ("ising-L4-b0.4407", "potts-q3-L3-b1.0"),
    "exact": EXACT_BENCHMARKS,
    "paper": PAPER_BENCHMARKS,
    "authors": AUTHORS_BENCHMARKS,
}
"""Named groups of benchmarks: ``quick`` (every method in a few minutes on 2 CPU cores),
``exact`` (everything with an exact answer), ``paper`` (the six, paper budgets, for a GPU),
``authors`` (the two 15 × 15 models of the authors' released networks)."""

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
