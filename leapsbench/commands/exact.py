"""``leapsbench exact``: exact log Z, ⟨E⟩/N (and ⟨m⟩ on tiny lattices) of one model.

    leapsbench exact ising --size 24x24 --beta 0.4407 [--J 1] [--h 0] [--open] [--format json]
    leapsbench exact potts --q 3 --size 3x4 --beta 0.8

Enumeration is used when q^N ≤ --max-states (gives ⟨m⟩), else Kaufman's formula for a periodic
Ising model at h = 0 (or Potts q = 2); otherwise the command fails with an error that says why.
"""

from __future__ import annotations

import json
import re

from .options import count, real

HELP = "Exact log Z, <E>/N (and <m> on tiny lattices) of an Ising or Potts model."

_SIZE = re.compile(r"(\d+)(?:x(\d+))?")


def parse_size(text: str) -> tuple[int, int]:
    """``"24x16"`` → (24, 16); ``"24"`` → (24, 24)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"--size must look like 24x16 (or 24 for a square), got {text!r}")
    from leapsbench.models.lattice import parse_side

    Lx = parse_side("Lx", match.group(1))
    return Lx, parse_side("Ly", match.group(2)) if match.group(2) else Lx


def add_arguments(parser) -> None:
    parser.add_argument("model", choices=("ising", "potts"), help="the lattice model")
    parser.add_argument("--size", required=True, help="lattice size LxxLy, e.g. 24x24 (or 24)")
    parser.add_argument("--beta", type=real(0), required=True, help="inverse temperature β >= 0")
    parser.add_argument("--J", type=real(), default=1.0, help="coupling J (default 1)")
    parser.add_argument("--h", type=real(), default=None, help="Ising field h (default 0)")
    parser.add_argument("--q", type=count(2), default=None, help="Potts states q (default 3)")
    parser.add_argument("--open", action="store_true", help="open instead of periodic boundaries")
    parser.add_argument(
        "--max-states",
        type=count(1),
        default=None,
        help="largest q^N to enumerate exactly (default 2^20, at most 2^24)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")


def _model(args):
    from leapsbench.models import ising, potts

    Lx, Ly = parse_size(args.size)
    periodic = not args.open
    if args.model == "ising":
        if args.q is not None:
            raise ValueError(f"--q applies to potts only, got --q {args.q} for ising")
        h = 0.0 if args.h is None else args.h
        return ising(Lx, Ly, beta=args.beta, J=args.J, h=h, periodic=periodic)
    if args.h is not None:
        raise ValueError(f"--h applies to ising only, got --h {args.h} for potts")
    return potts(
        3 if args.q is None else args.q, Lx, Ly, beta=args.beta, J=args.J, periodic=periodic
    )


def run(args) -> int:
    from leapsbench.exact import AUTO_MAX_STATES, exact_reference
    from leapsbench.exact.enumerate import MAX_ENUMERATION_STATES, describe_states

    max_states = AUTO_MAX_STATES if args.max_states is None else args.max_states
    if max_states > MAX_ENUMERATION_STATES:
        raise ValueError(
            f"--max-states {max_states:,} is over the memory limit of enumeration, "
            f"{MAX_ENUMERATION_STATES:,} (2^24) states"
        )
    model = _model(args)
    ref = exact_reference(model, max_states=max_states)
    if ref is None:
        raise ValueError(
            f"no exact method for {model.config()}: Kaufman's formula needs a periodic Ising "
            f"model at h = 0 or Potts q = 2 (J >= 0, or even sides for J < 0), and "
            f"enumeration is limited to --max-states {max_states:,} states "
            f"(this model has {describe_states(model)})"
        )
    out = {
        "model": model.config(),
        "method": ref.method,
        "log_z": ref.log_z,
        "log_z_per_site": ref.log_z_per_site,
        "energy_per_site": ref.energy_per_site,
        "specific_heat_per_site": ref.specific_heat_per_site,
        "mag": ref.mag,
    }
    if args.format == "json":
        print(json.dumps(out, indent=2))
        return 0
    config = ", ".join(f"{k}={v}" for k, v in model.config().items())
    print(f"{'model':<22} {config}")
    print(f"{'method':<22} {ref.method}")
    for key in ("log_z", "log_z_per_site", "energy_per_site", "specific_heat_per_site", "mag"):
        value = out[key]
        print(f"{key:<22} {'n/a (not exact here)' if value is None else f'{value:.15g}'}")
    return 0
