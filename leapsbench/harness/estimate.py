"""An order-of-magnitude estimate of how long a grid of runs takes on a CPU, told before it starts.

Per run, from the method's configuration (its preset and overrides) and the lattice's N sites:

* MCMC: C · (W + S · T) sweeps;  parallel tempering: C · K · (W + S) sweeps (K temperatures);
  AIS/SMC: B · K · (M + 1) sweeps and energy evaluations; each costs N · :data:`SITE_SECONDS`
  (docs/perf.md measured ≈ 0.01 site updates per ns for numpy on one core of this project's
  CPU, i.e. 1e-7 s per site);
* LEAPS: training steps · 3 (forward and backward) · pairs · N · :data:`NETWORK_SITE_SECONDS`, plus
  sampling B · n_steps · N · :data:`NETWORK_SITE_SECONDS`;
* autoregressive: training steps · batch · N² · :data:`NETWORK_SITE_SECONDS` (sampling one
  configuration takes N passes of O(N)), plus n_samples · N² · :data:`NETWORK_SITE_SECONDS`;
* a run with a total time budget T: T;
* a plug-in method: not estimated (0: leapsbench cannot know its cost).

:data:`NETWORK_SITE_SECONDS` (1e-6 s per site per network pass on one CPU core: about a thousand
multiply-adds, the paper-size MADE's 2 × 640 per site) is low for the paper's LE-conv (kernels up
to 15 × 15, 20 channels: ~1e5 per site) and high for the quick networks.  The estimate is
meant to tell minutes from days, not to plan to the minute.
"""

from __future__ import annotations

from .benchmarks import get_benchmark
from .methods import make_method, method_origin

SITE_SECONDS = 1e-7
NETWORK_SITE_SECONDS = 1e-6
HOURS_WARNING = 1.0
"""A CPU grid estimated to take longer than this many hours is not started without --yes."""


def run_seconds(spec: dict) -> float:
    """The estimated seconds of one run spec on one CPU core (module docstring)."""
    budget = spec.get("budget") or {}
    if budget.get("seconds") is not None:
        return float(budget["seconds"])
    if method_origin(spec["method"])["kind"] == "plugin":
        return 0.0
    n_sites = get_benchmark(spec["benchmark"]).model.n_sites
    c = make_method(spec["method"], spec["preset"], spec["overrides"]).config
    if "n_temps" in c:
        sweeps = c["n_chains"] * c["n_temps"] * (c["n_warmup"] + c["n_samples"])
        return sweeps * n_sites * SITE_SECONDS
    if "n_chains" in c:
        return c["n_chains"] * (c["n_warmup"] + c["n_samples"] * c["thin"]) * n_sites * SITE_SECONDS
    if "n_sweeps" in c:
        return c["n_walkers"] * c["n_steps"] * (c["n_sweeps"] + 1) * n_sites * SITE_SECONDS
    if "train_pairs" in c:
        passes = 3 * c["train_steps"] * c["train_pairs"] + c["n_walkers"] * c["n_steps"]
        return passes * n_sites * NETWORK_SITE_SECONDS
    samples = c["steps"] * c["batch"] + c["n_samples"]
    return samples * n_sites**2 * NETWORK_SITE_SECONDS


def grid_hours(specs: list[dict]) -> float:
    """The estimated hours of a grid run one at a time."""
    return sum(run_seconds(spec) for spec in specs) / 3600
