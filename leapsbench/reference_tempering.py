"""High-precision references of ±1 spin models where cluster updates do not apply (spin glasses
on the cube and on random graphs, which have no exact solution), from one long parallel-tempering
run (:mod:`leapsbench.baselines.tempering`: C independent chains over a ladder of K
temperatures, β_0 = 0 and K − 1 geometric values from β_min·β to β).

* ⟨E⟩/N, |m| and the replica overlap ⟨q²⟩ at the target β: grand means of the C chains (pairs
  of chains for q²), errors from the integrated autocorrelation time
  (:func:`leapsbench.reference_runs.mean_with_error`).
* log Z by thermodynamic integration over the ladder, log Z(β) = log Z_0 − ∫_0^β ⟨E⟩_{β'} dβ':
  on the geometric part the integrand in u = ln β' is ⟨E⟩ β' on a uniform u grid, integrated
  by composite Simpson S_h (K − 2 a multiple of 4), its discretisation error |S_h − S_{2h}| / 15
  (Richardson); on [0, β_1] the quadratic through (0, β_1, β_2), with |quadratic − trapezoid|
  as its discretisation error.  Statistical error: the jackknife over G = min(C, 8) blocks of
  chains (the chains are independent; the temperatures of one chain are not, and the jackknife
  keeps their covariance), reported next to the τ_int formula sqrt(Σ_k w_k² σ_k²) that ignores
  it; ``error`` = hypot(max of the two, discretisation).  Cross-check: BAR between neighbours
  (:mod:`leapsbench.baselines.bar`, jackknife error), ``ti_bar_z`` as for the SW references.
* Equilibration check: ``halves_z`` = (first half − second half of the kept sweeps) of ⟨E⟩/N in
  units of their combined τ_int error; |z| > 3 warns on stderr (warm-up too short).
* Pooling (``leapsbench reference NAME --pool --seed S``): independent runs on the same ladder
  are pooled quantity by quantity by :func:`leapsbench.pooled_runs.pool_estimates`
  (inverse-variance mean, error scaled up by the runs' scatter); for log Z the quadrature error,
  which every run on the ladder shares, is taken out before pooling and added back after.
* Reproducibility: with ``n_sweeps`` the run keeps exactly that many sweeps after
  max(:data:`MIN_WARMUP`, n_sweeps / 4) warm-up sweeps (same seed → same numbers); with
  ``seconds`` it runs for that long, a fifth of it warm-up, and returns the counts it did.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from leapsbench.baselines.bar import JACKKNIFE_BLOCKS, ladder_log_z_with_error
from leapsbench.baselines.local import field_sweep
from leapsbench.baselines.tempering import ladder, swap_order
from leapsbench.pooled_runs import pool_estimates
from leapsbench.reference_runs import mean_with_error, simpson_weights, with_ti_bar_z

DEFAULTS = {"n_temps": 34, "beta_min": 0.02, "rule": "heatbath"}
"""Ladder of a reference run: 0 and 33 geometric temperatures from β/50 to β (32 intervals)."""
MIN_WARMUP = 500
Z_WARNING = 3.0


def uses_tempering(model) -> bool:
    """Whether the reference of ``model`` comes from parallel tempering: a ±1 spin model
    (``flip_delta_energy``) on which cluster updates do not apply (a spin glass)."""
    from leapsbench.baselines.cluster import check_model
    from leapsbench.method import NotApplicable

    if not hasattr(model, "flip_delta_energy"):
        return False
    try:
        check_model(model, "swendsen-wang")
    except NotApplicable:
        return True
    return False


def check_ladder(n_temps: int) -> None:
    """Simpson with Richardson needs a multiple of 4 intervals on the K − 1 geometric points."""
    if n_temps < 6 or (n_temps - 2) % 4:
        raise ValueError(
            f"a TI ladder needs n_temps − 2 to be a multiple of 4 (n_temps = 6, 10, …, 34, …), "
            f"got n_temps={n_temps}"
        )


def ti_integral(betas: np.ndarray, means: np.ndarray) -> tuple[float, float]:
    """(∫_0^β ⟨E⟩ dβ', its discretisation error) from ⟨E⟩ at the ladder ``betas`` (module
    docstring); ``betas[1:]`` geometric."""
    u = np.log(betas[1:])
    h = float(u[1] - u[0])
    g = means[1:] * betas[1:]
    fine = float(simpson_weights(u.size, h) @ g)
    coarse = float(simpson_weights(u.size // 2 + 1, 2 * h) @ g[::2])
    (b1, b2), (e0, e1, e2) = betas[1:3], means[:3]
    # ∫_0^{b1} of the quadratic through (0, e0), (b1, e1), (b2, e2)
    slope_2 = ((e2 - e0) / b2 - (e1 - e0) / b1) / (b2 - b1)
    first = e0 * b1 + ((e1 - e0) / b1 - slope_2 * b1) * b1**2 / 2 + slope_2 * b1**3 / 3
    trapezoid = (e0 + e1) * b1 / 2
    disc = math.hypot((fine - coarse) / 15.0, first - trapezoid)
    return fine + first, disc


def _tau_error(betas: np.ndarray, errors: np.ndarray) -> float:
    """sqrt(Σ w_k² σ_k²) of the quadrature, each temperature's σ_k from its own τ_int."""
    u = np.log(betas[1:])
    w = simpson_weights(u.size, float(u[1] - u[0])) * betas[1:]
    w[0] += betas[1] / 2  # the first interval, to leading order
    return float(np.sqrt(np.sum((w * errors[1:]) ** 2) + (betas[1] / 2 * errors[0]) ** 2))


def ti_log_z(energies: np.ndarray, betas: np.ndarray, log_z0: float) -> dict:
    """log Z by TI from the ladder's energies (K, C, S), with its errors (module docstring)."""
    means = energies.mean(axis=(1, 2))
    errors = np.array([mean_with_error(e)["error"] for e in energies])
    integral, disc = ti_integral(betas, means)
    blocks = np.arange(energies.shape[1]) % min(energies.shape[1], JACKKNIFE_BLOCKS)
    n_blocks = int(blocks.max()) + 1
    leave_one_out = np.array(
        [ti_integral(betas, energies[:, blocks != g].mean(axis=(1, 2)))[0] for g in range(n_blocks)]
    )
    jack = float(np.sqrt((n_blocks - 1) * np.mean((leave_one_out - leave_one_out.mean()) ** 2)))
    tau = _tau_error(betas, errors)
    return {
        "value": log_z0 - integral,
        "error": math.hypot(max(jack, tau), disc),
        "method": "thermodynamic integration (Simpson in ln beta) of parallel-tempering <E>",
        "statistical_error": jack,
        "statistical_error_tau": tau,
        "discretisation_error": disc,
        "energy_grid": {"beta": betas.tolist(), "mean": means.tolist(), "error": errors.tolist()},
    }


def halves_z(energy: np.ndarray) -> float:
    """(first − second half) of the chains' mean in units of the halves' τ_int errors; warns
    on stderr when |z| > :data:`Z_WARNING`."""
    half = energy.shape[1] // 2
    first, second = mean_with_error(energy[:, :half]), mean_with_error(energy[:, half:])
    z = (first["value"] - second["value"]) / math.hypot(first["error"], second["error"])
    if abs(z) > Z_WARNING:
        print(f"warning: <E> drifts by {z:+.1f} sigma between halves", file=sys.stderr)
    return float(z)


def _step(model, x, walker_betas, betas, rng, host_rng, parity: int, n_chains: int):
    """One heat-bath sweep of every walker and one round of swaps (as in
    :mod:`leapsbench.baselines.tempering`); returns the walkers, their (K, C) energies after the
    swaps and the (K − 1,) accepted swaps."""
    backend = rng.backend
    x, _ = field_sweep(model, x, walker_betas, rng, DEFAULTS["rule"])
    energies = backend.to_numpy(model.energy(x)).reshape(len(betas), n_chains)
    order, accepted = swap_order(energies, betas, parity, host_rng.random(energies.shape))
    x = backend.xp.take(x, backend.asarray(order, dtype=backend.xp.int64), axis=0)
    return x, energies.reshape(-1)[order].reshape(energies.shape), accepted


def _observe(model, backend, x, n_chains: int) -> tuple[np.ndarray, np.ndarray]:
    """|m| of the target temperature's C chains and q² of its chain pairs (2c, 2c + 1)."""
    target = backend.to_numpy(x[-n_chains:, ...]).reshape(n_chains, -1).astype(np.float64)
    m = np.abs(target.mean(axis=1))
    pairs = n_chains // 2
    q = (target[0 : 2 * pairs : 2] * target[1 : 2 * pairs : 2]).mean(axis=1)
    return m, q * q


def run_ladder(model, backend, seed: int, ladder_spec: dict, n_sweeps, seconds, progress=None):
    """PT on the ladder: (betas, energies (K, C, S), m (C, S), q² (C/2, S), diagnostics)."""
    n_temps, n_chains = ladder_spec["n_temps"], ladder_spec["n_chains"]
    betas = ladder(model.beta, n_temps, ladder_spec["beta_min"])
    rng = backend.rng(seed)
    host_rng = np.random.default_rng(int(backend.to_numpy(rng.integers(0, 2**31 - 1, (1,)))[0]))
    x = model.uniform_states(backend, rng, n_temps * n_chains)
    walker_betas = backend.asarray(np.repeat(betas, n_chains))
    n_warmup = None if n_sweeps is None else max(MIN_WARMUP, int(n_sweeps) // 4)
    start, swaps, kept, t = time.perf_counter(), np.zeros(n_temps - 1), [], 0
    while True:
        elapsed = time.perf_counter() - start
        if n_warmup is None and elapsed >= seconds / 5:
            n_warmup = t
        if (
            n_warmup is not None
            and t >= n_warmup
            and (len(kept) >= n_sweeps if n_sweeps is not None else elapsed >= seconds)
        ):
            break
        x, energies, accepted = _step(model, x, walker_betas, betas, rng, host_rng, t % 2, n_chains)
        swaps += accepted
        t += 1
        if n_warmup is not None and t > n_warmup:
            kept.append((energies, *_observe(model, backend, x, n_chains)))
        if progress is not None and t % 1000 == 0:
            total = n_warmup + n_sweeps if n_sweeps is not None else None
            progress(t, total or "?", phase="tempering", elapsed_s=round(elapsed))
    tries = np.array([(t + 1 - k % 2) // 2 for k in range(n_temps - 1)]) * n_chains
    diagnostics = {"n_warmup": n_warmup, "swap_rates": (swaps / tries).round(4).tolist()}
    energies, m, q2 = (np.stack(a, axis=-1) for a in zip(*kept, strict=True))
    return betas, energies, m, q2, diagnostics


def tempering_reference(
    model,
    backend,
    seed: int,
    seconds: float,
    n_chains: int = 16,
    progress=None,
    n_sweeps: int | None = None,
    n_temps: int = DEFAULTS["n_temps"],
    beta_min: float = DEFAULTS["beta_min"],
) -> dict:
    """Reference ⟨E⟩/N, |m|, ⟨q²⟩ and log Z of ``model`` from one PT run (module docstring):
    ``n_sweeps`` kept sweeps when given, else about ``seconds`` in all."""
    check_ladder(n_temps)
    if n_chains < 2:
        raise ValueError(f"the overlap and the jackknife need n_chains >= 2, got {n_chains}")
    if n_sweeps is None and not (seconds is not None and seconds > 0):
        raise ValueError(f"give n_sweeps or seconds > 0, got seconds={seconds!r}")
    spec = {"n_chains": n_chains, "n_temps": n_temps, "beta_min": beta_min}
    betas, energies, m, q2, diagnostics = run_ladder(
        model, backend, seed, spec, n_sweeps, seconds, progress
    )
    method = {"method": "parallel-tempering"}
    energy = energies[-1] / model.n_sites
    log_z = ti_log_z(energies, betas, model.log_z0)
    bar, bar_err = ladder_log_z_with_error(energies, betas, model.log_z0)
    log_z["bar"] = {"value": bar, "error": bar_err}
    out = {
        "mag": {**mean_with_error(m), **method},
        "energy_per_site": {**mean_with_error(energy), **method, "halves_z": halves_z(energy)},
        "overlap_q2": {**mean_with_error(q2), **method},
        "log_z": with_ti_bar_z(log_z),
        "tempering": {**spec, "rule": DEFAULTS["rule"], **diagnostics},
        "sweeps": {"mag": int(energies.shape[-1])},
    }
    return out


MEANS = ("mag", "energy_per_site", "overlap_q2")
"""The chain means of a tempering reference; log Z is pooled apart (its quadrature error)."""


def _runs_of(entry: dict, seed: int, keys=("value", "error")) -> list[dict]:
    """The per-run estimates behind a stored entry (a one-run file: the entry itself)."""
    if "runs" in entry:
        return entry["runs"]
    return [{"seed": seed, **{key: entry[key] for key in keys if key in entry}}]


def _log_z_run(log_z: dict, seed: int) -> dict:
    """One run's log Z with its statistical error (the quadrature error apart) and the energy
    grid it integrated."""
    statistical = max(log_z["statistical_error"], log_z["statistical_error_tau"])
    keys = ("discretisation_error", "statistical_error", "statistical_error_tau", "energy_grid")
    return {"seed": seed, "value": log_z["value"], "error": statistical} | {
        key: log_z[key] for key in keys
    }


def pool_tempering(stored: dict, values: dict, stored_seed: int, seed: int) -> dict:
    """The reference ``stored`` (first run's seed ``stored_seed``) with the independent run
    ``values`` (seed ``seed``, same ladder) pooled in (module docstring, Pooling)."""
    ladder_keys = ("n_temps", "beta_min", "rule")
    old = {k: stored["tempering"][k] for k in ladder_keys}
    new = {k: values["tempering"][k] for k in ladder_keys}
    if old != new:
        raise ValueError(f"cannot pool runs on different ladders: stored {old}, this run {new}")
    out = dict(stored)
    for key in MEANS:
        runs = _runs_of(stored[key], stored_seed, ("value", "error", "n_samples", "halves_z"))
        entry = {"seed": seed, **{k: values[key][k] for k in ("value", "error", "n_samples")}}
        if "halves_z" in values[key]:
            entry["halves_z"] = values[key]["halves_z"]
        pooled = pool_estimates([*runs, entry])
        n_samples = sum(int(run["n_samples"]) for run in pooled["runs"])
        out[key] = {**pooled, "n_samples": n_samples, "method": "parallel-tempering"}
    out["log_z"] = _pool_log_z(stored["log_z"], values["log_z"], stored_seed, seed)
    return out


def _pool_log_z(stored: dict, new: dict, stored_seed: int, seed: int) -> dict:
    """Pooled TI log Z (quadrature error shared, added after) and pooled BAR."""
    runs = stored["runs"] if "runs" in stored else [_log_z_run(stored, stored_seed)]
    runs = [*runs, _log_z_run(new, seed)]
    disc = max(run["discretisation_error"] for run in runs)
    bar_runs = [*_runs_of(stored["bar"], stored_seed), {"seed": seed, **new["bar"]}]
    pooled = {
        **pool_estimates(runs, systematic=disc),
        "method": f"{new['method']}, pooled over independent runs",
        "discretisation_error": disc,
        "bar": pool_estimates(bar_runs),
    }
    return with_ti_bar_z(pooled)
