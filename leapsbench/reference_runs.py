"""High-precision reference values of a benchmark from Swendsen–Wang chains.

* ⟨m⟩ and ⟨E⟩/N at the benchmark's β: grand means of C chains, errors from the integrated
  autocorrelation time (:mod:`leapsbench.autocorr`).
* log Z of Potts models by thermodynamic integration on a uniform grid 0 = β_0 < … < β_K = β:

      log Z(β) = N log q − ∫_0^β ⟨E⟩_{β'} dβ',

  the integral by composite Simpson S_h (K a multiple of 4, h = β/K ≤ d_beta, default 0.025),
  statistical error sqrt(Σ_k w_k² σ_k²).  Quadrature error control: Simpson's error is
  C h⁴ + O(h⁶), so S_h − S_{2h} ≈ −15 C h⁴ and the discretisation error of S_h is estimated as
  |S_h − S_{2h}| / 15 (Richardson, from the same grid; its own statistical noise only inflates
  it).  The reported ``error`` is sqrt(stat² + disc²), both parts are stored; the grid is not
  refined automatically — where disc is not small against stat, rerun with a smaller
  ``d_beta`` (``leapsbench reference --d-beta``; h⁴ scaling: halving h divides disc by 16).
  Cross-check: Bennett's acceptance ratio between neighbouring grid points,
  Δ_k = log Z(β_{k+1}) − log Z(β_k), solved from the E samples of both points and summed; its
  error from the scatter of Δ_k over G independent groups of chains.  The agreement is stored
  as ``ti_bar_z`` = (TI − BAR) / sqrt(σ_TI² + σ_BAR²), with a warning on stderr when |z| > 3.
* log Z of Ising models (periodic, h = 0) from Kaufman's exact formula.
* Pooling an independent run into a stored reference: chain means by inverse-variance weights
  (x̄ = Σ x̄_r/σ_r² / Σ 1/σ_r², σ² = 1/Σ 1/σ_r²), and TI energy means grid point by grid point
  before the quadrature is redone.
* Reproducibility: the sweeps actually kept are returned under ``sweeps`` (``mag``: sweeps at
  the benchmark's β after ``MAG_WARMUP``; ``log_z``: one count per TI grid point, after
  ``TI_WARMUP`` each); the same seed with these counts (``n_sweeps``, ``ti_sweeps``) repeats
  the run exactly, whatever the timing.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from scipy.optimize import brentq

from leapsbench import autocorr
from leapsbench.baselines.chains import start, step

N_GROUPS = 8
MAG_WARMUP = 1000
TI_WARMUP = 200
Z_WARNING = 3.0


def sample_energy_mag(
    model,
    beta,
    rng,
    n_chains,
    seconds,
    n_warmup,
    min_steps=20,
    n_steps=None,
    progress=None,
    stop_on_interrupt=False,
):
    """SW chains at ``beta`` after ``n_warmup`` sweeps: (m, E) (C, n) of each later sweep.

    Runs for about ``seconds`` (at least ``min_steps`` sweeps), or exactly ``n_steps`` sweeps
    when given (reproducible for a fixed seed).  ``progress(elapsed_s, seconds, sweeps=...)`` is
    called about every 10 s.  With ``stop_on_interrupt``, Ctrl-C ends the sampling early and the
    sweeps so far are returned (at least ``min_steps`` of them; otherwise it propagates).
    """
    backend = rng.backend
    kernel, stream, state = start(rng, model, n_chains, backend, "swendsen-wang")
    for _ in range(n_warmup):
        state, _ = step(stream, state, model, beta, kernel)
    m, energy = [], []
    began = time.perf_counter()

    def more():
        if n_steps is not None:
            return len(m) < n_steps
        return len(m) < min_steps or time.perf_counter() - began < seconds

    last = began
    try:
        while more():
            if progress is not None and time.perf_counter() - last > 10.0:
                last = time.perf_counter()
                progress(round(last - began), round(seconds), sweeps=len(m))
            state, _ = step(stream, state, model, beta, kernel)
            m.append(backend.to_numpy(model.magnetization(state.x)))
            energy.append(backend.to_numpy(model.energy(state.x)))
    except KeyboardInterrupt:
        if not stop_on_interrupt or len(m) < min_steps:
            raise
        print(f"interrupted after {len(m)} sweeps; keeping them", file=sys.stderr, flush=True)
    return np.stack(m, axis=1), np.stack(energy, axis=1)


def mean_with_error(x) -> dict:
    """Grand mean of chains ``x`` with its autocorrelation-corrected error and τ_int."""
    return {
        "value": float(np.mean(x)),
        "error": autocorr.chain_mean_error(x),
        "tau_int": autocorr.integrated_time(x),
        "n_samples": int(np.size(x)),
    }


def simpson_weights(n_points: int, h: float) -> np.ndarray:
    """Composite Simpson weights h/3 (1, 4, 2, 4, …, 4, 1) on ``n_points`` (odd) points."""
    if n_points < 3 or n_points % 2 == 0:
        raise ValueError(f"Simpson needs an odd number >= 3 of points, got {n_points}")
    w = np.full(n_points, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return w * h / 3.0


def bar_delta(e_lo, e_hi, d_beta) -> float:
    """BAR estimate of log Z(β+dβ) − log Z(β) from energies sampled at β (``e_lo``) and β+dβ.

    Reduced works w_F = dβ E (at β), w_R = −dβ E (at β+dβ); ΔF = −Δ log Z solves
    Σ_F 1/(1 + e^{M + w_F − ΔF}) = Σ_R 1/(1 + e^{−M + w_R + ΔF}), M = log(n_F / n_R).
    """
    w_f = d_beta * np.ravel(e_lo)
    w_r = -d_beta * np.ravel(e_hi)
    shift = math.log(w_f.size / w_r.size)

    def imbalance(df):
        fwd = np.sum(1.0 / (1.0 + np.exp(np.clip(shift + w_f - df, -700, 700))))
        rev = np.sum(1.0 / (1.0 + np.exp(np.clip(-shift + w_r + df, -700, 700))))
        return fwd - rev

    lo = min(w_f.min(), -w_r.max()) - 50.0
    hi = max(w_f.max(), -w_r.min()) + 50.0
    return -brentq(imbalance, lo, hi, xtol=1e-12)


MAX_TI_POINTS = 1025
"""Most TI grid points: each costs ``TI_WARMUP`` + 20 sweeps whatever the time budget."""


def ti_grid(beta: float, d_beta: float) -> np.ndarray:
    """The uniform TI grid 0 … β with K = 4 ⌈β / (4 d_beta)⌉ intervals (≤ MAX_TI_POINTS)."""
    if not (math.isfinite(d_beta) and d_beta > 0):
        raise ValueError(f"d_beta must be a finite number > 0, got {d_beta!r}")
    n_intervals = 4 * max(1, math.ceil(beta / (4 * d_beta)))
    if n_intervals + 1 > MAX_TI_POINTS:
        raise ValueError(
            f"d_beta={d_beta!r} gives {n_intervals + 1:,} TI grid points up to beta={beta}; "
            f"at most {MAX_TI_POINTS} are allowed (d_beta >= {beta / (MAX_TI_POINTS - 1):.3g})"
        )
    return np.linspace(0.0, beta, n_intervals + 1)


PROBE_SWEEPS = 5
BUDGET_SLACK = 30.0
"""A time budget is refused when its fixed minimum exceeds max(2 × seconds, seconds + 30 s)."""


def minimum_sweeps(model, part: str, d_beta: float, timed_mag: bool, timed_ti: bool) -> int:
    """Sweeps that a run spends whatever ``seconds`` says: warm-ups and the minimum kept sweeps
    of the time-budgeted parts (⟨m⟩: MAG_WARMUP + 20; TI: TI_WARMUP + 20 per grid point)."""
    sweeps = MAG_WARMUP + 20 if timed_mag and part != "log_z" else 0
    if timed_ti and model.kind == "potts" and part != "mag":
        sweeps += ti_grid(model.beta, d_beta).size * (TI_WARMUP + 20)
    return sweeps


def check_time_budget(model, rng, n_chains: int, seconds: float, sweeps: int) -> None:
    """Refuse ``seconds`` when ``sweeps`` sweeps of ``n_chains`` SW chains (timed on a few) take
    far longer (:data:`BUDGET_SLACK`): the run could not honour its time budget."""
    if sweeps == 0:
        return
    kernel, stream, state = start(rng, model, n_chains, rng.backend, "swendsen-wang")
    began = time.perf_counter()
    for _ in range(PROBE_SWEEPS):
        state, _ = step(stream, state, model, model.beta, kernel)
    needed = sweeps * (time.perf_counter() - began) / PROBE_SWEEPS
    if needed > max(2 * seconds, seconds + BUDGET_SLACK):
        raise ValueError(
            f"--seconds {seconds:g} cannot be honoured: warm-ups and minimum sweeps alone "
            f"({sweeps:,} SW sweeps of {n_chains} chains) take about {needed:.0f} s here; give "
            f"--seconds {needed:.0f} or more (or fewer --chains, a larger --d-beta)"
        )


def check_ti_plan(model, d_beta: float, ti_sweeps) -> None:
    """Before any sampling: the TI grid is allowed and ``ti_sweeps`` has one count per point."""
    betas = ti_grid(model.beta, d_beta)
    if ti_sweeps is not None and np.ndim(ti_sweeps) != 0 and len(ti_sweeps) != betas.size:
        raise ValueError(
            f"--ti-sweeps has {len(ti_sweeps)} counts, but the TI grid of beta={model.beta} "
            f"with d_beta={d_beta} has {betas.size} points: give one count or {betas.size}"
        )


def thermodynamic_integration(
    model, rng, seconds, n_chains=64, d_beta=0.025, progress=None, n_steps=None
):
    """log Z of ``model`` by TI (Simpson) and BAR on a uniform β grid (module docstring).

    ``seconds`` is split evenly over the grid points; ``n_steps`` instead fixes the sweeps per
    point (an int for all points, or one count per point).  The counts used are returned
    under ``energy_grid["n_sweeps"]``.
    """
    betas = ti_grid(model.beta, d_beta)
    h = float(betas[1] - betas[0])
    if n_steps is None or np.ndim(n_steps) == 0:
        n_steps = [n_steps] * betas.size
    if len(n_steps) != betas.size:
        raise ValueError(f"n_steps has {len(n_steps)} counts for {betas.size} TI grid points")
    per_point = seconds / betas.size
    energies, means, errors = [], [], []
    for k, beta in enumerate(betas):
        _, energy = sample_energy_mag(
            model, float(beta), rng, n_chains, per_point, n_warmup=TI_WARMUP, n_steps=n_steps[k]
        )
        energies.append(energy)
        means.append(energy.mean())
        errors.append(autocorr.chain_mean_error(energy))
        if progress is not None:
            progress(k + 1, betas.size, beta=round(float(beta), 6))
    out = integrate_energy_grid(model, betas, np.array(means), np.array(errors))
    groups = np.array_split(np.arange(n_chains), N_GROUPS)
    deltas = np.array(
        [
            [bar_delta(energies[k][g], energies[k + 1][g], h) for g in groups]
            for k in range(betas.size - 1)
        ]
    )
    bar_total = deltas.mean(axis=1).sum()
    bar_err = float(np.sqrt(np.sum(deltas.var(axis=1, ddof=1) / N_GROUPS)))
    out["bar"] = {"value": model.log_z0 + float(bar_total), "error": bar_err}
    out["energy_grid"]["n_sweeps"] = [int(energy.shape[1]) for energy in energies]
    return with_ti_bar_z(out)


def with_ti_bar_z(log_z: dict) -> dict:
    """``log_z`` with ``ti_bar_z`` = (TI − BAR) / sqrt(σ_TI² + σ_BAR²); warns when |z| > 3."""
    bar = log_z["bar"]
    z = (log_z["value"] - bar["value"]) / math.hypot(log_z["error"], bar["error"])
    if abs(z) > Z_WARNING:
        print(
            f"warning: TI log Z = {log_z['value']:.6f} ± {log_z['error']:.2g} and BAR "
            f"{bar['value']:.6f} ± {bar['error']:.2g} disagree by {z:+.1f} sigma",
            file=sys.stderr,
            flush=True,
        )
    return {**log_z, "ti_bar_z": float(z)}


def integrate_energy_grid(model, betas, means, errors) -> dict:
    """log Z = N log q − Simpson ∫⟨E⟩dβ on the uniform grid ``betas`` (module docstring)."""
    h = float(betas[1] - betas[0])
    weights = simpson_weights(betas.size, h)
    integral = float(weights @ means)
    coarse = float(simpson_weights(betas.size // 2 + 1, 2 * h) @ means[::2])
    stat = float(np.sqrt(np.sum((weights * errors) ** 2)))
    disc = abs(integral - coarse) / 15.0
    return {
        "value": model.log_z0 - integral,
        "error": float(math.hypot(stat, disc)),
        "method": "thermodynamic integration (Simpson) of SW <E> over beta",
        "statistical_error": stat,
        "discretisation_error": disc,
        "grid": {"n_points": int(betas.size), "d_beta": h},
        "energy_grid": {
            "beta": np.asarray(betas).tolist(),
            "mean": np.asarray(means).tolist(),
            "error": np.asarray(errors).tolist(),
        },
    }


def pool_means(old: dict, new: dict) -> dict:
    """Inverse-variance pool of two independent chain means (module docstring)."""
    w_old, w_new = old["error"] ** -2, new["error"] ** -2
    return {
        **new,
        "value": (w_old * old["value"] + w_new * new["value"]) / (w_old + w_new),
        "error": (w_old + w_new) ** -0.5,
        "n_samples": int(old["n_samples"]) + int(new["n_samples"]),
        "tau_int": new["tau_int"],
    }


def pool_log_z(model, old: dict, new: dict) -> dict:
    """Pool two independent TI runs on the same β grid, point by point, and re-integrate.

    BAR cannot be pooled from stored means; both runs' BAR values are kept under ``bar_runs``.
    """
    old_grid, new_grid = old["energy_grid"], new["energy_grid"]
    if not np.allclose(old_grid["beta"], new_grid["beta"], rtol=0, atol=1e-12):
        raise ValueError("cannot pool TI runs on different beta grids")
    w_old = np.asarray(old_grid["error"]) ** -2.0
    w_new = np.asarray(new_grid["error"]) ** -2.0
    means = (w_old * np.asarray(old_grid["mean"]) + w_new * np.asarray(new_grid["mean"])) / (
        w_old + w_new
    )
    out = integrate_energy_grid(model, np.asarray(new_grid["beta"]), means, (w_old + w_new) ** -0.5)
    out["bar_runs"] = [*old.get("bar_runs", [old["bar"]]), new["bar"]]
    out["bar"] = new["bar"]
    return with_ti_bar_z(out)


PARTS = ("all", "mag", "log_z")


def check_plan(model, part, seconds, d_beta, n_sweeps, ti_sweeps, n_chains, probe_rng) -> None:
    """Refuse, before any sampling, what :func:`compute_reference` could not do as asked."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; choose one of {', '.join(PARTS)}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be a finite number > 0, got {seconds!r}")
    if model.kind == "spin-glass":
        raise ValueError(
            "references here come from Swendsen–Wang chains, which do not apply to a spin glass; "
            "2D spin glasses have exact references (enumeration, Pfaffians: leapsbench.exact)"
        )
    if model.kind == "potts" and part != "mag":
        check_ti_plan(model, d_beta, ti_sweeps)
    fixed = minimum_sweeps(model, part, d_beta, n_sweeps is None, ti_sweeps is None)
    check_time_budget(model, probe_rng, n_chains, seconds, fixed)


def compute_reference(
    model,
    backend,
    seed: int,
    seconds: float,
    n_chains=64,
    progress=None,
    part="all",
    d_beta=0.025,
    n_sweeps=None,
    ti_sweeps=None,
):
    """Reference ⟨m⟩, ⟨E⟩/N and log Z of ``model`` within about ``seconds`` (module docstring).

    ``part="mag"`` spends all the time on ⟨m⟩ and ⟨E⟩/N; ``part="log_z"`` all of it on the
    Potts TI (Ising log Z is exact, so there is nothing to sample).  ``n_sweeps`` (⟨m⟩) and
    ``ti_sweeps`` (TI, an int or one count per grid point) fix the sweep counts instead of the
    time; the counts used are returned under ``"sweeps"``.
    """
    mag_rng, ti_rng, probe_rng = backend.rng(seed).spawn(3)  # the first two as with spawn(2)
    check_plan(model, part, seconds, d_beta, n_sweeps, ti_sweeps, n_chains, probe_rng)
    if part == "log_z":
        if model.kind == "ising":
            raise ValueError("Ising log Z is exact (Kaufman); part='log_z' applies to Potts only")
        log_z = thermodynamic_integration(
            model, ti_rng, seconds, n_chains, d_beta, progress, ti_sweeps
        )
        return {"log_z": log_z, "sweeps": {"log_z": log_z["energy_grid"]["n_sweeps"]}}
    ti_share = 0.0 if model.kind == "ising" or part == "mag" else 0.6
    m, energy = sample_energy_mag(
        model,
        model.beta,
        mag_rng,
        n_chains,
        seconds * (1 - ti_share),
        n_warmup=MAG_WARMUP,
        n_steps=n_sweeps,
        progress=None if progress is None else lambda *a, **k: progress(*a, phase="mag", **k),
        stop_on_interrupt=part == "mag" or model.kind == "ising",
    )
    mag = {**mean_with_error(m), "method": "swendsen-wang"}
    e = mean_with_error(energy / model.n_sites)
    out = {"mag": mag, "energy_per_site": e, "sweeps": {"mag": int(m.shape[1])}}
    if part == "mag":
        return out
    if model.kind == "ising":
        from leapsbench.exact.kaufman import ising_thermodynamics

        if not model.lattice.periodic or model.h != 0:
            raise ValueError("Ising log Z needs a periodic lattice and h = 0 (Kaufman)")
        exact = ising_thermodynamics(model.lattice.Lx, model.lattice.Ly, model.beta, model.J)
        out["log_z"] = {"value": float(exact["log_z"]), "error": 0.0, "method": "kaufman"}
        out["energy_per_site"]["exact"] = float(exact["energy_per_site"])
    else:
        out["log_z"] = thermodynamic_integration(
            model, ti_rng, seconds * ti_share, n_chains, d_beta, progress, ti_sweeps
        )
        out["sweeps"]["log_z"] = out["log_z"]["energy_grid"]["n_sweeps"]
    return out
