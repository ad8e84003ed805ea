"""Step 2: the LEAPS authors' Ising checkpoint sampled on each device backend in float32,
beside the committed CPU rows of results/authors/.

Each configuration of the plan (Euler at 100 steps, checkerboard exact weights at 800 steps) is
one ``leapsbench run`` (``harness.runner.run_task``, the rows stored in OUTDIR/parity-rows/, so
``leapsbench table`` reads them) with a wall-time budget: the sampler draws independent chunks of
walkers until the time is up (``timed.sample_for``).  Walkers run ``chunk_walkers`` at a time,
sized from the device's free memory and the measured memory of a 16-walker forward.  A small
untimed run first warms up each backend (CUDA context, CuPy's kernel compilation).

Per run: ESS/n, ⟨|m|⟩, log Ẑ − log Z with their errors, walkers reached (the target is
:data:`.plan.TARGET_WALKERS`), and the time per 1000 walkers × 100 steps,
sample_seconds · (1000 / walkers) · (100 / n_steps), against the authors' 17.75 s.  The CPU
rows are the seeds of the same settings in results/authors/runs (numpy, float32), pooled by
results/authors/pool.py's formulas.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from leapsbench.harness.runner import make_spec, run_task
from leapsbench.harness.store import ResultStore

from .memory import fitting_count, peak_bytes
from .plan import ISING_BENCHMARK, TARGET_WALKERS, AUTHORS_SECONDS_PER_1000x100, ParityRun, Plan
from .record import StepRecord

REPO = Path(__file__).resolve().parents[2]
AUTHORS_RUNS = REPO / "results" / "authors" / "runs"
PROBE_WALKERS = 16
MAX_CHUNK = 4096


def chunk_walkers(backend, checkpoint: Path, wanted: int = MAX_CHUNK) -> int:
    """Walkers per chunk: half the free memory over the peak memory per walker of one forward
    of the checkpoint's network (``wanted`` where the backend reports no memory)."""
    from leapsbench.leaps.authors import load_authors_checkpoint
    from leapsbench.params import params_to

    network, params, model = load_authors_checkpoint(checkpoint)
    p32 = params_to(backend, params, "float32")
    x = model.uniform_states(backend, backend.rng(0), PROBE_WALKERS)
    _, peak = peak_bytes(backend, lambda: network.apply(p32, x, 0.5))
    return fitting_count(backend, None if peak is None else peak // PROBE_WALKERS, wanted)


def _spec(name, device, overrides, budget, checkpoint) -> dict:
    return make_spec(
        ISING_BENCHMARK,
        "leaps-conv",
        backend=name,
        device=device,
        dtype="float32",
        seed=0,
        overrides=overrides,
        budget=budget,
        checkpoint=str(checkpoint),
    )


def warm_up(name, device, checkpoint) -> None:
    """A 2-walker, 2-step run of each weighting, not stored (first-call costs untimed)."""
    for overrides in ({"n_steps": 2, "weights": "euler", "rate_floor": 0}, {"n_steps": 2}):
        run_task(_spec(name, device, overrides, {"n_samples": 2}, checkpoint))


def cpu_rows() -> dict[str, dict]:
    """Pooled committed CPU rows (numpy float32, the authors' Ising) keyed by their settings'
    JSON; empty when results/authors/ is not in this tree."""
    script = REPO / "results" / "authors" / "pool.py"
    if not script.is_file() or not AUTHORS_RUNS.is_dir():
        return {}
    spec = importlib.util.spec_from_file_location("authors_pool", script)
    pool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pool)
    groups: dict[str, list] = {}
    for row in ResultStore(AUTHORS_RUNS).rows():
        if row["status"] == "ok" and row["benchmark"] == ISING_BENCHMARK:
            if (row["backend"], row["dtype"]) == ("numpy", "float32"):
                groups.setdefault(_key(json.loads(row["overrides"])), []).append(row)
    return {key: _cpu_summary(pool.pooled(rows)) for key, rows in groups.items()}


def _key(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)


def _cpu_summary(p: dict) -> dict:
    names = ("ess_fraction", "mag", "mag_err", "log_z_error", "log_z_err")
    return {"walkers": int(p["n"]), **{k: _finite(p[k]) for k in names}}


def _finite(value):
    value = None if value is None else float(value)
    return value if value is not None and value == value and abs(value) != float("inf") else None


def parity_entry(run: ParityRun, row: dict, cpu: dict) -> dict:
    """One result line: the device row's figures beside the CPU row of the same settings."""
    entry = {
        "backend": row["backend"],
        "device": row["device"],
        "label": run.label,
        "settings": run.settings,
        "overrides": json.loads(row["overrides"]),
        "status": row["status"],
        "error": row["error"],
        "budget_seconds": run.seconds,
        "cpu": cpu.get(_key(run.settings)),
    }
    if row["status"] != "ok":
        return entry
    walkers, steps = row["n_samples"], run.overrides["n_steps"]
    per = row["sample_seconds"] * (1000 / walkers) * (100 / steps)
    names = ("ess_fraction", "mag", "mag_err", "log_z_error", "log_z_err", "sample_seconds")
    return {
        **entry,
        **{k: _finite(row[k]) for k in names},
        "walkers": walkers,
        "target_walkers": TARGET_WALKERS,
        "unreliable": row["unreliable"],
        "seconds_per_1000x100": per,
        "authors_seconds_per_1000x100": AUTHORS_SECONDS_PER_1000x100,
        "speedup_vs_authors": AUTHORS_SECONDS_PER_1000x100 / per,
    }


def run_parity(plan: Plan, outdir: Path, checkpoint: Path) -> None:
    """Step 2 (module docstring)."""
    from leapsbench.backends import BackendUnavailable, get_backend

    record = StepRecord(outdir, "parity", plan.name)
    if not Path(checkpoint).is_file():
        record.skip("parity", f"the authors' checkpoint {checkpoint} is absent (pass --checkpoint)")
        record.finish("skipped")
        return
    cpu = cpu_rows()
    if not cpu:
        record.skip("CPU rows", f"{AUTHORS_RUNS} is not in this tree")
    store = ResultStore(Path(outdir) / "parity-rows")
    for name, device in plan.backends:
        try:
            backend = get_backend(name, device=device, dtype="float32")
        except BackendUnavailable as err:
            record.skip(f"parity on {name}", str(err))
            continue
        warm_up(name, device, checkpoint)
        try:
            chunk = plan.chunk_walkers or chunk_walkers(backend, checkpoint)
        except Exception as err:  # e.g. out of memory in the probe: the library's default chunk
            record.skip(f"chunk size probe on {name}", f"{type(err).__name__}: {err}")
            chunk = None
        for run in plan.parity:
            overrides = {**run.overrides, **({"chunk_walkers": chunk} if chunk else {})}
            row = run_task(_spec(name, device, overrides, {"seconds": run.seconds}, checkpoint))
            store.add(row)
            record.add(parity_entry(run, row, cpu))
    store.export_csv()
    record.finish("ok")
