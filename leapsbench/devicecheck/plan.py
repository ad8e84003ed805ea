"""What the device check measures, at which sizes and within which budgets.

:data:`GPU_PLAN` is the real check on one GPU; :data:`DRY_PLAN` runs the same code at tiny sizes
on the CPU (seconds).  Time budgets (seconds of wall time, :data:`STEP_SECONDS`; ``.ci/gpu`` puts
each step under ``timeout`` with its budget, so a slow step cannot eat the rest):

    install 45, environment (device check) 20, tests 150, parity 120, throughput 110,
    summary 10 = 455 s, within the 8 minutes (480 s) that one H100 run may take.

Parity runs sample for a wall-time budget (``run --seconds``): 15 s per Euler run and 35 s per
checkerboard run on each of the two backends (100 s) after a warm-up; how many walkers that gave
is in the result (the target is :data:`TARGET_WALKERS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STEP_SECONDS = {
    "install": 45,
    "environment": 20,
    "tests": 150,
    "parity": 120,
    "throughput": 110,
    "summary": 10,
}
"""Wall-time limit of each step of the real run (``.ci/gpu`` reads them through ``budgets``)."""
TARGET_WALKERS = 5000
"""Walkers per parity configuration that the issue asks for."""
AUTHORS_SECONDS_PER_1000x100 = 17.75
"""The authors' notebook: seconds per 1000 walkers × 100 steps on their GPU."""
ISING_BENCHMARK = "ising-L15-b0.4407"
EULER = {"n_steps": 100, "weights": "euler", "rate_floor": 0}
CHECKERBOARD = {"n_steps": 800, "weights": "exact", "rate_floor": 0.001, "sites": "checkerboard"}


@dataclass(frozen=True)
class ParityRun:
    """One parity configuration: ``settings`` as in results/authors/ (the committed CPU rows
    that it is compared with) and ``overrides`` as run (the dry run shortens ``n_steps``)."""

    label: str
    settings: dict
    overrides: dict
    seconds: float


@dataclass(frozen=True)
class Plan:
    """Sizes and budgets of one device check (module docstring)."""

    name: str
    backends: tuple[tuple[str, str | None], ...]
    require_backends: str
    test_selection: tuple[str, ...]
    test_timeout: int
    parity: tuple[ParityRun, ...]
    chunk_walkers: int | None
    sweep_sizes: tuple[int, ...]
    sweep_chains: int
    sweep_seconds: float
    sw_size: int
    sw_chains: int
    forward_size: int
    forward_walkers: int
    train_size: int
    train_overrides: dict = field(default_factory=dict)
    train_steps: int = 3
    min_seconds: float = 1.0


GPU_PLAN = Plan(
    name="gpu",
    backends=(("torch", "cuda"), ("cupy", None)),
    require_backends="torch:cuda,cupy",
    test_selection=("-k", "cuda or cupy", "--timeout", "60"),
    test_timeout=STEP_SECONDS["tests"],
    parity=(
        ParityRun("Euler, 100 steps", EULER, EULER, 15.0),
        ParityRun("checkerboard, 800 steps", CHECKERBOARD, CHECKERBOARD, 35.0),
    ),
    chunk_walkers=None,  # sized from the device's free memory (parity.chunk_walkers)
    sweep_sizes=(256, 1024),
    sweep_chains=10_000,
    sweep_seconds=1.0,
    sw_size=256,
    sw_chains=16,
    forward_size=24,
    forward_walkers=250,
    train_size=24,
)

DRY_PLAN = Plan(
    name="cpu-dry-run",
    backends=(("torch", "cpu"), ("numpy", None)),
    require_backends="torch,numpy",
    test_selection=(
        "tests/test_backends.py",
        "-k",
        "(rng or device or logsumexp) and (torch or numpy) and not cuda",
    ),
    test_timeout=60,
    parity=(
        ParityRun("Euler, 100 steps", EULER, {**EULER, "n_steps": 2}, 0.2),
        ParityRun("checkerboard, 800 steps", CHECKERBOARD, {**CHECKERBOARD, "n_steps": 4}, 0.2),
    ),
    chunk_walkers=16,
    sweep_sizes=(4, 8),
    sweep_chains=4,
    sweep_seconds=0.02,
    sw_size=4,
    sw_chains=2,
    forward_size=4,
    forward_walkers=2,
    train_size=4,
    train_overrides={
        "train_walkers": 2,
        "train_pairs": 4,
        "train_horizon": 2,
        "train_buffer_rollouts": 1,
    },
    train_steps=2,
    min_seconds=0.01,
)


def plan_for(dry_run: bool) -> Plan:
    return DRY_PLAN if dry_run else GPU_PLAN
