"""Step 3 (MCMC part): checkerboard sweeps and Swendsen–Wang through the library's kernels.

* Checkerboard Metropolis and heat-bath (``baselines.local.sweep``, Ising β = 0.4407) at each
  plan size L with C chains: flips per picosecond = C · L² / (seconds per sweep · 10¹²).  C is
  the plan's chain count (10⁴ on the GPU) capped at half the free device memory over the
  measured peak memory per chain of a 16-chain sweep (``memory.fitting_count``).  Anchors:
  1.3–1.8 flips/ps for multi-spin-coded GPU Ising codes on one H100 (one bit per spin; the
  library stores one int8 per spin).
* Swendsen–Wang (``baselines.chains.step``, the cluster rule: numpy and scipy on the host, the
  states moved to and from the device each sweep): sweeps per second of all C chains at once,
  and chain-sweeps per second (C times that), at the plan's L and C.
"""

from __future__ import annotations

from leapsbench.baselines import chains, local
from leapsbench.models import ising

from .memory import fitting_count, peak_bytes
from .plan import Plan
from .record import StepRecord
from .timing import seconds_per_call

BETA = 0.4407
PROBE_CHAINS = 16


def _states(model, backend, rng, n: int):
    """n uniform random states drawn on the device as int8 (``model.uniform_states`` draws
    int64: 80 GB for 10⁴ chains at L = 1024)."""
    values = rng.integers(0, model.q, (n, *model.shape), dtype=backend.state_dtype)
    return model.from_values(values)


def sweep_chains(backend, model, rule: str, wanted: int) -> int:
    """The plan's chain count, capped by the memory of a PROBE_CHAINS-chain sweep."""
    probe = min(PROBE_CHAINS, wanted)
    rng = backend.rng(1)
    x = _states(model, backend, rng, probe)
    _, peak = peak_bytes(backend, lambda: local.sweep(model, x, BETA, rng, rule=rule))
    states = 2 * model.n_sites * probe  # the int8 states and their making, besides the sweep's
    return fitting_count(backend, None if peak is None else (peak + states) // probe, wanted)


def sweep_throughput(backend, size: int, rule: str, plan: Plan) -> dict:
    """Flips per picosecond of one checkerboard sweep (module docstring)."""
    model = ising(size, beta=BETA)
    n = sweep_chains(backend, model, rule, plan.sweep_chains)
    rng = backend.rng(0)
    x = _states(model, backend, rng, n)
    timed = seconds_per_call(
        backend, lambda: local.sweep(model, x, BETA, rng, rule=rule), plan.sweep_seconds
    )
    return {
        "what": f"checkerboard {rule}",
        "L": size,
        "chains": n,
        "chains_wanted": plan.sweep_chains,
        "seconds_per_sweep": timed["seconds"],
        "sweeps_timed": timed["calls"],
        "flips_per_ps": n * model.n_sites / (timed["seconds"] * 1e12),
    }


def swendsen_wang_rate(backend, plan: Plan) -> dict:
    """Swendsen–Wang sweeps per second (module docstring)."""
    model = ising(plan.sw_size, beta=BETA)
    kernel, stream, state = chains.start(
        backend.rng(0), model, plan.sw_chains, backend, "swendsen-wang"
    )
    holder = [state]

    def sweep():
        holder[0], _ = chains.step(stream, holder[0], model, BETA, kernel)

    timed = seconds_per_call(backend, sweep, plan.min_seconds)
    return {
        "what": "Swendsen-Wang",
        "L": plan.sw_size,
        "chains": plan.sw_chains,
        "seconds_per_sweep": timed["seconds"],
        "sweeps_timed": timed["calls"],
        "sweeps_per_second": 1 / timed["seconds"],
        "chain_sweeps_per_second": plan.sw_chains / timed["seconds"],
    }


def mcmc_throughput(record: StepRecord, backend, plan: Plan) -> None:
    """Every sweep measurement of the plan on ``backend``, each recorded as it finishes."""
    label = {"backend": backend.name, "device": str(backend.device)}
    for size in plan.sweep_sizes:
        for rule in local.RULES:
            record.attempt(
                f"{rule} sweeps at L = {size} on {backend.name}",
                lambda size=size, rule=rule: sweep_throughput(backend, size, rule, plan),
                **label,
            )
    record.attempt(
        f"Swendsen-Wang on {backend.name}", lambda: swendsen_wang_rate(backend, plan), **label
    )
