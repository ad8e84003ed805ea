"""Benchmark names of spin glasses on graphs: the 3D cube and random regular graphs.

``ea3d[-gauss]-L<L>-b<beta>-i<seed>[-open]``: the 3D Edwards–Anderson model on the L × L × L
cube (periodic unless ``-open``) with ±J (or Gaussian) couplings of instance ``seed``
(:func:`leapsbench.models.graph_couplings.cubic_instance`), e.g. ``ea3d-L8-b0.8-i0``.

``rrg[-gauss]-N<N>-d<d>-b<beta>-i<seed>``: the spin glass on the random ``d``-regular graph of
``N`` sites with ±J (or Gaussian) couplings of instance ``seed``
(:func:`leapsbench.models.graph_couplings.rrg_instance`), e.g. ``rrg-N256-d3-b1.0-i0``.

Both at zero field; the canonical name has no leading zeros and β in its shortest form.
"""

from __future__ import annotations

import re

from leapsbench.models import GraphSpinGlass, ea3d, rrg

_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?"
EA3D_PATTERN = re.compile(
    rf"^ea3d(?P<gauss>-gauss)?-L(?P<L>[0-9]+)-b(?P<beta>-?{_NUMBER})-i(?P<seed>[0-9]+)"
    r"(?P<open>-open)?$"
)
RRG_PATTERN = re.compile(
    rf"^rrg(?P<gauss>-gauss)?-N(?P<N>[0-9]+)-d(?P<d>[0-9]+)-b(?P<beta>-?{_NUMBER})"
    r"-i(?P<seed>[0-9]+)$"
)
GRAPH_GRAMMAR = "ea3d[-gauss]-L<L>-b<beta>-i<seed>[-open] or rrg[-gauss]-N<N>-d<d>-b<beta>-i<seed>"
MAX_GRAPH_SITES = 2**20
"""Largest graph a name may build (L³ or N sites)."""


GRAPH_SPIN_GLASS_BENCHMARKS = ("ea3d-L8-b0.8-i0", "rrg-N256-d3-b1.0-i0")
"""The graph instances of the ``spin-glass`` suite: the 3D cube L = 8 at β = 0.8 (T = 1.25, just
above its spin-glass transition) and a random 3-regular graph N = 256 at β = 1 (inside its
spin-glass phase, β_c ≈ 0.88); references from parallel tempering, shipped in
``leapsbench/references/``."""
SPIN_GLASS_PREFIXES = ("ea-", "ea3d-", "rrg-")
"""Benchmark names of spin glasses: tables, curves and plots show ΔE in ΔMag's place."""


def is_spin_glass_name(bench: str) -> bool:
    """Whether benchmark ``bench`` is a spin glass (2D ``ea-…``, ``ea3d-…`` or ``rrg-…``)."""
    return bench.startswith(SPIN_GLASS_PREFIXES)


def graph_canonical_name(model: GraphSpinGlass) -> str:
    """The one name of a graph spin glass built from its generator spec (module docstring)."""
    spec = model.graph.config()
    if model.h != 0 or spec.get("graph") not in ("cubic", "rrg"):
        raise ValueError(
            f"graph benchmarks are generated instances at zero field, got {spec} h={model.h}"
        )
    gauss = "-gauss" if spec["gauss"] else ""
    beta, seed = repr(float(model.beta)), spec["instance"]
    if spec["graph"] == "cubic":
        tail = "" if spec["periodic"] else "-open"
        return f"ea3d{gauss}-L{spec['L']}-b{beta}-i{seed}{tail}"
    return f"rrg{gauss}-N{spec['N']}-d{spec['d']}-b{beta}-i{seed}"


def _size(name: str, what: str, text: str, sites: int) -> int:
    if sites > MAX_GRAPH_SITES:
        raise ValueError(
            f"benchmark {name!r}: {what}={text} gives {sites} sites; at most {MAX_GRAPH_SITES}"
        )
    return int(text)


def parse_graph_benchmark(name: str) -> tuple[str, GraphSpinGlass] | None:
    """(canonical name, model) of an ``ea3d-…`` or ``rrg-…`` name; None for any other name."""
    name = name.strip()
    cube, graph = EA3D_PATTERN.match(name), RRG_PATTERN.match(name)
    match = cube or graph
    if match is None:
        if name.startswith(("ea3d", "rrg")):
            raise ValueError(f"cannot parse benchmark name {name!r}; expected {GRAPH_GRAMMAR}")
        return None
    beta = float(match["beta"])
    if beta < 0:
        raise ValueError(f"benchmark {name!r}: beta must be >= 0, got {match['beta']}")
    gauss, seed = match["gauss"] is not None, int(match["seed"])
    if cube is not None:
        L = _size(name, "L", cube["L"], int(cube["L"]) ** 3 if len(cube["L"]) < 8 else 2**64)
        model = ea3d(L, beta, seed, gauss, periodic=cube["open"] is None)
    else:
        n_sites = _size(name, "N", graph["N"], int(graph["N"]) if len(graph["N"]) < 10 else 2**64)
        model = rrg(n_sites, int(graph["d"]), beta, seed, gauss)
    return graph_canonical_name(model), model
