"""Benchmark names, parsed by a grammar rather than only looked up.

``{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open]`` builds any benchmark the grammar allows,
e.g. ``ising-L24-b0.4407``, ``potts-q4-L16-b1.0986``, ``ising-L3x4-b0.3-h0.1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leapsbench.models import Ising, Lattice, Potts

_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?"
NAME_PATTERN = re.compile(
    rf"^(?P<kind>ising|potts-q(?P<q>[0-9]+))-L(?P<Lx>[0-9]+)(?:x(?P<Ly>[0-9]+))?"
    rf"-b(?P<beta>{_NUMBER})(?:-h(?P<h>-?{_NUMBER}))?(?P<open>-open)?$"
)
GRAMMAR = "{ising|potts-q<q>}-L<Lx>[x<Ly>]-b<beta>[-h<h>][-open]"


@dataclass(frozen=True)
class BenchmarkSpec:
    """A named benchmark: the model it defines (β is the target inverse temperature)."""

    name: str
    model: Ising | Potts


def parse_benchmark(name: str) -> BenchmarkSpec:
    """Build the benchmark a name describes; a ValueError explains the grammar otherwise."""
    match = NAME_PATTERN.match(name.strip())
    if match is None:
        raise ValueError(f"cannot parse benchmark name {name!r}; expected {GRAMMAR}")
    Lx = int(match["Lx"])
    Ly = int(match["Ly"]) if match["Ly"] else Lx
    lattice = Lattice(Lx, Ly, periodic=match["open"] is None)
    beta = float(match["beta"])
    if match["q"] is not None:
        if match["h"] is not None:
            raise ValueError(f"benchmark {name!r}: Potts benchmarks take no field -h")
        model = Potts(lattice, beta=beta, q=int(match["q"]))
    else:
        model = Ising(lattice, beta=beta, h=float(match["h"] or 0.0))
    return BenchmarkSpec(name=name.strip(), model=model)
