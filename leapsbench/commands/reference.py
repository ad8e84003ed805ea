"""``leapsbench reference``: high-precision ⟨m⟩, ⟨E⟩/N and log Z of a benchmark (Swendsen–Wang).

    leapsbench reference ising-L24-b0.4407 --seconds 300 --seed 0 [--out results/reference]
    leapsbench reference potts-q4-L16-b1.3 --part log_z --seconds 600 --seed 1

Spin glasses (cluster updates do not apply) take their references from parallel tempering
instead (:mod:`leapsbench.reference_tempering`: ``--chains`` per temperature, ``--temps`` K,
``--sweeps`` kept sweeps or ``--seconds``; ``--part all`` only); ``--pool`` pools one more
independent run into the stored file (every quantity; the error grows where the runs scatter
more than their error bars say, :mod:`leapsbench.pooled_runs`), e.g.

    leapsbench reference ea3d-L8-b0.8-i0 --chains 8 --sweeps 8000 --seed 0
    leapsbench reference ea3d-L8-b0.8-i0 --chains 8 --sweeps 8000 --seed 1 --pool

Writes ``<out>/<benchmark>.json`` atomically (keys in docs/CONTRACTS.md; methods in
:mod:`leapsbench.reference_runs`).  ``--part mag`` or ``--part log_z`` spends the whole budget on
that quantity and pools the new, independent run (its seed must differ from every stored run's) into
the stored file; every run that went into a file is listed under ``runs``.  Where only ⟨m⟩ is
sampled (``--part mag``, or any Ising benchmark), Ctrl-C ends the sampling early and the sweeps so
far are used and written.

Each run entry (and, for ``--part all``, the top level) records ``n_sweeps`` (sweeps kept at
the benchmark's β) and, where TI ran, ``ti_sweeps`` (one count per grid point): rerunning with
the same ``--seed``, ``--chains``, ``--d-beta`` and ``--sweeps N --ti-sweeps N1,N2,…`` repeats
that run exactly, whatever the machine's speed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from .options import SEED, count, real

HELP = (
    "High-precision reference <m>, <E>/N and log Z of a benchmark (Swendsen-Wang, TI; "
    "parallel tempering for spin glasses)."
)
TEMPERING_TEMPS = 34
"""Default ladder of a parallel-tempering reference (:mod:`leapsbench.reference_tempering`)."""


def add_arguments(parser) -> None:
    parser.add_argument("benchmark", help="benchmark name, e.g. ising-L24-b0.4407")
    parser.add_argument(
        "--seconds", type=real(0, low_open=True), default=60.0, help="sampling time (default 60)"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    parser.add_argument("--chains", type=count(2), default=64, help="SW chains (default 64)")
    parser.add_argument("--out", default="results/reference", help="output directory")
    parser.add_argument(
        "--d-beta",
        type=real(0, low_open=True),
        default=0.025,
        help="largest TI grid spacing (default 0.025; see leapsbench.reference_runs)",
    )
    parser.add_argument(
        "--sweeps", type=count(2), default=None, help="fix the <m> sweeps instead of the time"
    )
    parser.add_argument(
        "--ti-sweeps",
        type=_sweep_counts,
        metavar="N[,N2,...]",
        default=None,
        help="fix the TI sweeps per grid point: N, or one count per point N1,N2,...",
    )
    parser.add_argument(
        "--temps",
        type=count(6),
        default=None,
        help=f"parallel tempering (spin glasses): temperatures of the ladder (default "
        f"{TEMPERING_TEMPS}; K - 2 a multiple of 4)",
    )
    parser.add_argument(
        "--part",
        choices=("all", "mag", "log_z"),
        default="all",
        help="all: a fresh reference (default); mag or log_z: sample only that and pool it "
        "into the stored reference",
    )
    parser.add_argument(
        "--pool",
        action="store_true",
        help="parallel tempering (spin glasses): pool this independent run (a new --seed) into "
        "the stored reference",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="--part all: replace a stored reference (only by one at least as precise)",
    )


def _sweep_counts(text: str):
    """``N`` or ``N1,N2,…`` (positive integers) → int or list of ints."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = [0]
    if min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"got {text!r}; expected a sweep count N >= 1 or one per grid point, N1,N2,..."
        )
    return counts[0] if len(counts) == 1 else counts


def read_stored(path: Path) -> dict:
    """The stored reference at ``path``; a ValueError names the file if it is not one."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"cannot read the stored reference {path} ({err}); restore it (git checkout) "
            "or make a fresh one with --part all --force"
        ) from None
    if not isinstance(stored, dict) or not isinstance(stored.get("mag"), dict):
        raise ValueError(f"{path} is not a reference file (no 'mag' entry)")
    return stored


def less_precise(new: dict, stored: dict) -> list[str]:
    """The quantities whose error bar in ``new`` is larger than in ``stored``."""
    worse = []
    for key in ("mag", "log_z"):
        old_err = (stored.get(key) or {}).get("error")
        new_err = (new.get(key) or {}).get("error")
        if old_err is not None and new_err is not None and new_err > old_err:
            worse.append(f"{key} error {new_err:.2g} > stored {old_err:.2g}")
    return worse


def _json(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"


def stored_runs(stored: dict) -> list[dict]:
    """The runs behind a stored reference (older files name a single run at the top level)."""
    if "runs" in stored:
        return stored["runs"]
    keys = ("command", "seed", "n_chains", "wall_seconds")
    return [{**{key: stored[key] for key in keys if key in stored}, "part": "all"}]


def check_independent(stored: dict, seed: int) -> None:
    """Pooling needs a seed that no stored run used."""
    used = [run["seed"] for run in stored_runs(stored)]
    if seed in used:
        raise ValueError(
            f"--seed {seed} was already used for this reference ({used}); pooling "
            "needs an independent run, so choose another seed"
        )


def pool_into(stored: dict, values: dict, model, part: str) -> dict:
    """``stored`` with the new run's ``part`` pooled in (:mod:`leapsbench.reference_runs`)."""
    from leapsbench.reference_runs import pool_log_z, pool_means

    if part == "mag":
        keys = ("mag", "energy_per_site")
        pooled = {key: pool_means(stored[key], values[key]) for key in keys}
        if "exact" in stored["energy_per_site"]:
            pooled["energy_per_site"]["exact"] = stored["energy_per_site"]["exact"]
        return {**stored, **pooled}
    return {**stored, "log_z": pool_log_z(model, stored["log_z"], values["log_z"])}


def _stored_before_run(path: Path, part: str, force: bool, pool: bool) -> dict | None:
    """The stored reference a run pools into (``--part``, ``--pool``) or may replace
    (``--force``)."""
    if part != "all" or pool:
        how, first = (f"--part {part}", "--part all") if part != "all" else ("--pool", "a run")
        if not path.is_file():
            raise ValueError(
                f"{how} pools into {path}, which does not exist; make it first with {first} "
                f"(without {how})"
            )
        return read_stored(path)
    if not path.exists():
        return None
    if not force:
        raise ValueError(
            f"{path} exists; pool a new independent run into it with --part mag or "
            "--part log_z, or replace it with --force (kept unless the new run is at least "
            "as precise)"
        )
    try:
        return read_stored(path)
    except ValueError:  # an unreadable file is replaced
        return None


def run(args) -> int:
    from leapsbench.atomic import atomic_write_text
    from leapsbench.harness.benchmarks import parse_benchmark

    from .writable import check_writable_dir

    if not args.seconds > 0:
        raise ValueError(f"--seconds must be > 0, got {args.seconds}")
    if args.chains < 2:
        raise ValueError(f"--chains must be >= 2, got {args.chains}")
    if getattr(args, "sweeps", None) is not None and args.sweeps < 2:
        raise ValueError(f"--sweeps must be >= 2, got {args.sweeps}")
    part, pool = getattr(args, "part", "all"), getattr(args, "pool", False)
    spec = parse_benchmark(args.benchmark)
    _check_pool(spec.model, part, pool)
    path = Path(args.out) / f"{spec.name}.json"
    stored = _stored_before_run(path, part, getattr(args, "force", False), pool)
    if stored is not None and (part != "all" or pool):
        check_independent(stored, args.seed)
    check_writable_dir(Path(args.out), "--out")
    start = time.perf_counter()

    def progress(done, total, **metrics):
        phase = metrics.pop("phase", None)
        what = {"mag": "s of <m> sampling", "tempering": "tempering sweeps"}.get(phase, "TI points")
        print(f"[{spec.name}] {done}/{total} {what} {metrics}", file=sys.stderr, flush=True)

    values = _compute(spec.model, args, part, progress)
    this_run = _this_run(args, part, time.perf_counter() - start, values.pop("sweeps"))
    out = _file_content(spec, values, this_run, stored, part, pool)
    worse = [] if stored is None or part != "all" or pool else less_precise(out, stored)
    if worse:
        kept = path.with_name(f"{path.name}.less-precise")
        atomic_write_text(kept, _json(out))
        raise ValueError(
            f"not replacing {path}: the new run is less precise ({'; '.join(worse)}); "
            f"it was written to {kept}"
        )
    atomic_write_text(path, _json(out))
    mag, log_z = out["mag"], out["log_z"]
    print(
        f"{spec.name}: <m> = {mag['value']:.6f} ± {mag['error']:.2g}, "
        f"log Z = {log_z['value']:.6f} ± {log_z['error']:.2g} ({log_z['method']}) -> {path}"
    )
    return 0


def _check_pool(model, part: str, pool: bool) -> None:
    """``--pool`` is for parallel-tempering references, whose one run gives every quantity."""
    from leapsbench.reference_tempering import uses_tempering

    if pool and not uses_tempering(model):
        raise ValueError(
            "--pool pools parallel-tempering references (spin glasses); for a Swendsen-Wang "
            "reference pool a new run with --part mag or --part log_z"
        )
    if pool and part != "all":
        raise ValueError(f"--pool pools a whole tempering run; drop --part {part}")


def _compute(model, args, part: str, progress) -> dict:
    """The reference values: Swendsen–Wang chains and TI, or, for spin models where cluster
    updates do not apply (spin glasses), parallel tempering (``reference_tempering``)."""
    from leapsbench.backends import get_backend
    from leapsbench.reference_runs import compute_reference
    from leapsbench.reference_tempering import tempering_reference, uses_tempering

    backend, n_sweeps = get_backend("numpy"), getattr(args, "sweeps", None)
    if not uses_tempering(model):
        return compute_reference(
            model,
            backend,
            args.seed,
            args.seconds,
            args.chains,
            progress,
            part,
            d_beta=getattr(args, "d_beta", 0.025),
            n_sweeps=n_sweeps,
            ti_sweeps=getattr(args, "ti_sweeps", None),
        )
    if part != "all" or getattr(args, "ti_sweeps", None) is not None:
        raise ValueError(
            "parallel-tempering references (spin glasses) are one run: --part all, no --ti-sweeps"
        )
    temps = getattr(args, "temps", None) or TEMPERING_TEMPS
    return tempering_reference(
        model, backend, args.seed, args.seconds, args.chains, progress, n_sweeps, temps
    )


def _this_run(args, part: str, wall_seconds: float, sweeps: dict) -> dict:
    """The record of this run (its command, seed, part, chains, seconds and sweep counts)."""
    this_run = {
        "command": "leapsbench reference " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
        "seed": args.seed,
        "part": part,
        "n_chains": args.chains,
        "wall_seconds": wall_seconds,
    }
    if "mag" in sweeps:
        this_run["n_sweeps"] = sweeps["mag"]
    if "log_z" in sweeps:
        this_run["ti_sweeps"] = sweeps["log_z"]
    return this_run


def _file_content(spec, values: dict, this_run: dict, stored, part: str, pool: bool) -> dict:
    """The reference file: this run's values (``part`` all) or them pooled into ``stored``."""
    from leapsbench.harness.provenance import versions
    from leapsbench.reference_tempering import pool_tempering

    if pool:
        first_seed = stored_runs(stored)[0]["seed"]
        out = pool_tempering(stored, values, first_seed, this_run["seed"])
        out["runs"] = [*stored_runs(stored), this_run]
        out["wall_seconds"] = sum(run.get("wall_seconds", 0.0) for run in out["runs"])
    elif part == "all":
        out = {"benchmark": spec.name, "model": spec.model.config(), **values, **this_run}
        out["runs"] = [this_run]
    else:
        out = pool_into(stored, values, spec.model, part)
        out["runs"] = [*stored_runs(stored), this_run]
        out["wall_seconds"] = sum(run.get("wall_seconds", 0.0) for run in out["runs"])
    out["versions"] = versions()
    return out
