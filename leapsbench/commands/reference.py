"""``leapsbench reference``: high-precision ⟨m⟩, ⟨E⟩/N and log Z of a benchmark (Swendsen–Wang).

    leapsbench reference ising-L24-b0.4407 --seconds 300 --seed 0 [--out results/reference]

Writes ``<out>/<benchmark>.json`` atomically (keys in docs/CONTRACTS.md; methods in
:mod:`leapsbench.reference`).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

HELP = "High-precision reference <m>, <E>/N and log Z of a benchmark (Swendsen-Wang, TI)."


def add_arguments(parser) -> None:
    parser.add_argument("benchmark", help="benchmark name, e.g. ising-L24-b0.4407")
    parser.add_argument("--seconds", type=float, default=60.0, help="sampling time (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--chains", type=int, default=64, help="SW chains (default 64)")
    parser.add_argument("--out", default="results/reference", help="output directory")


def write_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def run(args) -> int:
    from leapsbench.backends import get_backend
    from leapsbench.harness.benchmarks import parse_benchmark
    from leapsbench.harness.provenance import versions
    from leapsbench.reference import compute_reference

    if not args.seconds > 0:
        raise ValueError(f"--seconds must be > 0, got {args.seconds}")
    if args.chains < 2:
        raise ValueError(f"--chains must be >= 2, got {args.chains}")
    spec = parse_benchmark(args.benchmark)
    start = time.perf_counter()

    def progress(done, total, **metrics):
        what = "s of <m> sampling" if metrics.pop("phase", None) == "mag" else "TI points"
        print(f"[{spec.name}] {done}/{total} {what} {metrics}", file=sys.stderr, flush=True)

    values = compute_reference(
        spec.model, get_backend("numpy"), args.seed, args.seconds, args.chains, progress
    )
    out = {
        "benchmark": spec.name,
        "model": spec.model.config(),
        **values,
        "command": "leapsbench reference " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
        "seed": args.seed,
        "n_chains": args.chains,
        "versions": versions(),
        "wall_seconds": time.perf_counter() - start,
    }
    path = Path(args.out) / f"{spec.name}.json"
    write_atomic(path, out)
    mag, log_z = out["mag"], out["log_z"]
    print(
        f"{spec.name}: <m> = {mag['value']:.6f} ± {mag['error']:.2g}, "
        f"log Z = {log_z['value']:.6f} ± {log_z['error']:.2g} ({log_z['method']}) -> {path}"
    )
    return 0
