"""``leapsbench exact``: exact log Z, ⟨E⟩/N (and ⟨m⟩ on tiny lattices) of one model.

    leapsbench exact ising --size 24x24 --beta 0.4407 [--J 1] [--h 0] [--open] [--format json]
    leapsbench exact potts --q 3 --size 3x4 --beta 0.8
    leapsbench exact ea --size 16x16 [--open] (--couplings FILE | --instance SEED [--gauss])
                        --beta 1 [--format json]

Enumeration is used when q^N ≤ --max-states (gives ⟨m⟩), else Kaufman's formula for a periodic
Ising model at h = 0 (or Potts q = 2); otherwise the command fails with an error that says why.
``ea`` is the zero-field 2D Edwards–Anderson model, solved by Pfaffians (:mod:`leapsbench.exact.ea`)
for a generated instance (:func:`leapsbench.models.couplings.ea_instance`) or a coupling file in
TwoBo's format (scipy.sparse ``save_npz``, upper-triangular N × N).
"""

from __future__ import annotations

import json
import re

from .options import SEED, count, real

HELP = "Exact log Z, <E>/N (and <m> on tiny lattices) of an Ising, Potts or 2D EA model."

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
    parser.add_argument("model", choices=("ising", "potts", "ea"), help="the lattice model")
    parser.add_argument("--size", required=True, help="lattice size LxxLy, e.g. 24x24 (or 24)")
    parser.add_argument("--beta", type=real(0), required=True, help="inverse temperature β >= 0")
    parser.add_argument("--J", type=real(), default=None, help="coupling J (default 1)")
    parser.add_argument("--h", type=real(), default=None, help="Ising field h (default 0)")
    parser.add_argument("--q", type=count(2), default=None, help="Potts states q (default 3)")
    parser.add_argument("--open", action="store_true", help="open instead of periodic boundaries")
    parser.add_argument(
        "--max-states",
        type=count(1),
        default=None,
        help="largest q^N to enumerate exactly (default 2^20, at most 2^24)",
    )
    parser.add_argument("--couplings", default=None, help="ea: coupling file (TwoBo's .npz)")
    parser.add_argument("--instance", type=SEED, default=None, help="ea: instance seed")
    parser.add_argument("--gauss", action="store_true", help="ea: Gaussian, not ±J, couplings")
    parser.add_argument("--format", choices=("table", "json"), default="table")


_EA_ONLY = ("couplings", "instance", "gauss")
_NOT_EA = ("J", "h", "q", "max_states")


def _refuse(args, names, what: str) -> None:
    for name in names:
        value = getattr(args, name)
        if value is not None and value is not False:
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} applies to {what} only, got {flag} {value} for {args.model}")


def _ea_couplings(args):
    from leapsbench.models.couplings import Couplings, ea_instance

    Lx, Ly = parse_size(args.size)
    if (args.couplings is None) == (args.instance is None):
        raise ValueError("exact ea needs exactly one of --couplings FILE and --instance SEED")
    if args.couplings is not None:
        if args.gauss:
            raise ValueError("--gauss applies to --instance only, not to --couplings FILE")
        return Couplings.load(args.couplings, Lx, Ly, periodic=not args.open)
    return ea_instance(Lx, Ly, args.instance, gauss=args.gauss, periodic=not args.open)


def _run_ea(args) -> int:
    import sys

    from leapsbench.exact.ea import ea_log_z

    _refuse(args, _NOT_EA, "ising or potts")
    couplings = _ea_couplings(args)
    try:
        result = ea_log_z(couplings, args.beta)
    except FloatingPointError as error:
        raise ValueError(f"no exact result at --beta {args.beta}: {error}") from None
    out = {
        "model": "ea",
        "size": f"{couplings.Lx}x{couplings.Ly}",
        "periodic": couplings.periodic,
        "beta": args.beta,
        "instance": args.instance,
        "gauss": args.gauss if args.instance is not None else None,
        "couplings": args.couplings,
        "hash": couplings.content_hash(),
        "method": "pfaffian",
        "log_z": result.log_z,
        "log_z_per_site": result.log_z_per_site,
        "energy_per_site": result.energy_per_site,
        "log_z_error": result.log_z_error,
        "energy_error": result.energy_error,
        "reliable": result.reliable,
    }
    if not result.reliable:
        print(
            "warning: float64 rounding error above 1e-9 relative (see log_z_error, "
            "energy_error): too low a temperature for the high-temperature Pfaffian",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(out, indent=2))
        return 0
    for key, value in out.items():
        print(f"{key:<22} {'n/a' if value is None else value}")
    return 0


def _model(args):
    from leapsbench.models import ising, potts

    Lx, Ly = parse_size(args.size)
    periodic = not args.open
    J = 1.0 if args.J is None else args.J
    if args.model == "ising":
        if args.q is not None:
            raise ValueError(f"--q applies to potts only, got --q {args.q} for ising")
        h = 0.0 if args.h is None else args.h
        return ising(Lx, Ly, beta=args.beta, J=J, h=h, periodic=periodic)
    if args.h is not None:
        raise ValueError(f"--h applies to ising only, got --h {args.h} for potts")
    return potts(3 if args.q is None else args.q, Lx, Ly, beta=args.beta, J=J, periodic=periodic)


def run(args) -> int:
    from leapsbench.exact import AUTO_MAX_STATES, exact_reference
    from leapsbench.exact.enumerate import MAX_ENUMERATION_STATES, describe_states

    if args.model == "ea":
        return _run_ea(args)
    _refuse(args, _EA_ONLY, "ea")
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
