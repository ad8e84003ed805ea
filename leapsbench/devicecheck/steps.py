"""The steps that are not a module of their own: the environment (with the device gate) and
the throughput step, which runs :mod:`.throughput` and :mod:`.leapscost` on each backend."""

from __future__ import annotations

from pathlib import Path

from .environment import check_devices, describe
from .leapscost import GPU_BLOCK_ELEMENTS as GPU_BLOCKS
from .leapscost import forward_cost, paper_suite_seconds, training_cost
from .plan import STEP_SECONDS, Plan
from .record import StepRecord
from .throughput import mcmc_throughput


def run_environment(plan: Plan, outdir: Path) -> None:
    """Record the device, driver and versions; on a GPU run, DeviceMissing unless torch sees
    CUDA and CuPy a device."""
    record = StepRecord(outdir, "environment", plan.name)
    info = describe(gpu=plan.name == "gpu")
    record.set(info=info, budgets=STEP_SECONDS)
    if plan.name == "gpu":
        try:
            check_devices(info)
        except RuntimeError as err:
            record.skip("every step", str(err))
            record.finish("failed")
            raise
    record.finish("ok")


def run_throughput(plan: Plan, outdir: Path) -> None:
    """Step 3: the MCMC kernels and the LE-conv forward on every backend, then one training
    step (torch: on the torch backend's device) and the paper-suite extrapolation."""
    from leapsbench.backends import BackendUnavailable, get_backend

    record = StepRecord(outdir, "throughput", plan.name)
    forward64, trainer = None, None
    for name, device in plan.backends:
        try:
            backend = get_backend(name, device=device)
        except BackendUnavailable as err:
            record.skip(f"throughput on {name}", str(err))
            continue
        mcmc_throughput(record, backend, plan)
        label = {"backend": name, "device": str(backend.device)}
        for dtype, blocks in (("float32", None), ("float64", None), ("float32", GPU_BLOCKS)):
            entry = record.attempt(
                f"LE-conv forward on {name}, {dtype}, blocks {blocks}",
                lambda b=backend, d=dtype, k=blocks: forward_cost(b, plan, d, k),
                **label,
            )
            if name == "torch" and dtype == "float64":
                forward64, trainer = entry, backend
    if trainer is None:
        record.skip("LEAPS training step", "no torch backend in this run")
    else:
        train = record.attempt(
            "LEAPS training step", lambda: training_cost(trainer, plan), backend="torch"
        )
        if train is not None and forward64 is not None:
            record.attempt(
                "paper-suite extrapolation", lambda: paper_suite_seconds(train, forward64, plan)
            )
    record.finish("ok" if not record.data["not_run"] else "partial")
