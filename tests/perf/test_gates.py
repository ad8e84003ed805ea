"""Ratio gates (run by .ci/perf with LEAPSBENCH_PERF=1): each gated kernel against a fixed
reference kernel timed in the same process (leapsbench.perf), and for every gate a twin that
slows the kernel 2× and checks that the gate fires.  Thresholds and their measured spread:
docs/perf.md.  Each builder first checks that kernel and reference compute the same thing.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from leapsbench.backends import BackendUnavailable, get_backend

from leapsbench import perf_reference as ref
from leapsbench.models import ising, potts
from leapsbench.perf import slowed

pytestmark = pytest.mark.perf

CHAINS = 64


def _backend(name):
    try:
        return get_backend(name)
    except BackendUnavailable as err:
        pytest.skip(str(err))


def _states(model, backend, seed=0):
    values = np.random.default_rng(seed).integers(0, model.q, (CHAINS, *model.shape))
    return backend.from_numpy(model.from_values(values.astype(np.int8)), dtype=backend.xp.int8)


def ising_delta_energy_numpy():
    """Array-API Ising ΔE on numpy vs the same written directly in numpy (L = 64)."""
    model, backend = ising(64, beta=0.44), _backend("numpy")
    x = _states(model, backend)
    np.testing.assert_array_equal(model.flip_delta_energy(x), ref.numpy_ising_delta_energy(x))
    return lambda: model.flip_delta_energy(x), lambda: ref.numpy_ising_delta_energy(x)


def ising_delta_energy_torch():
    """Array-API Ising ΔE on torch (CPU) vs the same written directly in torch (L = 32)."""
    model, backend = ising(32, beta=0.44), _backend("torch")
    x = _states(model, backend)
    assert bool((model.flip_delta_energy(x) == ref.torch_ising_delta_energy(x)).all())
    return lambda: model.flip_delta_energy(x), lambda: ref.torch_ising_delta_energy(x)


def potts_delta_energy_numpy():
    """Array-API Potts (q = 3) ΔE on numpy vs the same written directly in numpy (L = 32)."""
    model, backend = potts(3, 32, beta=1.0), _backend("numpy")
    x = _states(model, backend)
    np.testing.assert_array_equal(model.delta_energy(x), ref.numpy_potts_delta_energy(x, 3))
    return lambda: model.delta_energy(x), lambda: ref.numpy_potts_delta_energy(x, 3)


def leaps_conv_torch():
    """Array-API LE-conv forward (paper preset, Ising L = 8, 8 states) on torch vs the same
    network written directly in torch (tests/perf/test_leaps_networks_perf.py)."""
    torch = pytest.importorskip("torch")
    direct = pytest.importorskip("test_leaps_networks_perf")
    from leapsbench.leaps.networks import make_network
    from leapsbench.params import params_to

    model, backend = ising(8, beta=0.44), _backend("torch")
    net = make_network("conv", model, preset="paper")
    params = params_to(backend, net.init_params(0))
    x = _states(model, backend)[:8]
    t = backend.asarray(np.full(8, 0.5))

    def kernel():
        with torch.no_grad():
            return net.apply(params, x, t)

    def reference():
        with torch.no_grad():
            return direct.direct_torch_le_conv(params, net, x, t)

    own = torch.where(x == 1, kernel()[..., 1], kernel()[..., 0])
    torch.testing.assert_close(own, x * reference(), rtol=0, atol=1e-12)
    return kernel, reference


def _le_mlp_twin():
    """The yardstick of the network gates: the LE-MLP (default hyper, Ising L = 8, 64 states)
    written directly in numpy (``ref.numpy_le_mlp_ising``), checked equal to the network.  Its
    mix of small matmuls and silu's tanh is the networks' own, so the ratios stay put where a
    machine's BLAS and transcendental functions differ in speed (docs/perf.md)."""
    from leapsbench.leaps.networks import make_network
    from leapsbench.params import params_to

    model, backend = ising(8, beta=0.44), _backend("numpy")
    net = make_network("mlp", model)
    params = params_to(backend, net.init_params(0))
    x, t = _states(model, backend), backend.asarray(np.full(CHAINS, 0.5))
    depth = net.hyper["depth"]
    np.testing.assert_array_equal(
        net.apply(params, x, t), ref.numpy_le_mlp_ising(params, x, 0.5, depth)
    )
    return (lambda: net.apply(params, x, t)), (
        lambda: ref.numpy_le_mlp_ising(params, x, 0.5, depth)
    )


def _leaps_forward_vs_le_mlp(architecture):
    from leapsbench.leaps.networks import make_network
    from leapsbench.params import params_to

    model, backend = ising(8, beta=0.44), _backend("numpy")
    net = make_network(architecture, model)
    params = params_to(backend, net.init_params(0))
    x, t = _states(model, backend), backend.asarray(np.full(CHAINS, 0.5))
    assert net.apply(params, x, t).shape == (CHAINS, 8, 8, 2)
    return lambda: net.apply(params, x, t), _le_mlp_twin()[1]


def leaps_mlp_numpy():
    """LEAPS MLP forward (default hyper, Ising L = 8, 64 states) on numpy vs the same network
    written directly in numpy."""
    return _le_mlp_twin()


def leaps_attention_numpy_vs_le_mlp():
    """LEAPS attention forward (default hyper, Ising L = 8, 64 states) on numpy vs the direct
    numpy LE-MLP."""
    return _leaps_forward_vs_le_mlp("attention")


def leaps_conv_numpy_vs_le_mlp():
    """LEAPS conv forward (default hyper, Ising L = 8, 64 states) on numpy vs the direct numpy
    LE-MLP."""
    return _leaps_forward_vs_le_mlp("conv")


def made_sampling_numpy_vs_le_mlp():
    """64 samples from a MADE (default hyper, Ising L = 6, 36 raster steps) on numpy vs the
    direct numpy LE-MLP."""
    network = pytest.importorskip("leapsbench.baselines.autoregressive.network")
    from leapsbench.params import params_to

    model, backend = ising(6, beta=0.44), _backend("numpy")
    net = network.make_net("made", model)
    params, rng = params_to(backend, net.init_params(0)), backend.rng(0)
    assert net.sample(params, model, backend, rng, CHAINS).shape == (CHAINS, 6, 6)
    return lambda: net.sample(params, model, backend, rng, CHAINS), _le_mlp_twin()[1]


def _metropolis(size, backend_name):
    """Kernel and reference sweeps; checked at β = 0 from the all-up state (no ties ΔE = 0,
    which are accepted with probability ½), where both must flip every site."""
    local = pytest.importorskip("leapsbench.baselines.local")
    model, backend = ising(size, beta=0.44), _backend(backend_name)
    x = _states(model, backend)
    rng = backend.rng(0)
    if backend_name == "numpy":
        gen, reference_sweep = np.random.default_rng(0), ref.numpy_metropolis_sweep
    else:
        import torch

        gen, reference_sweep = torch.Generator().manual_seed(0), ref.torch_metropolis_sweep
    up = backend.from_numpy(np.ones((CHAINS, *model.shape), np.int8), dtype=backend.xp.int8)
    for flipped, acceptance in (local.sweep(model, up, 0.0, rng), reference_sweep(up, 0.0, gen)):
        np.testing.assert_array_equal(backend.to_numpy(flipped), -backend.to_numpy(up))
        np.testing.assert_array_equal(backend.to_numpy(acceptance), np.ones(CHAINS))
    return (
        lambda: local.sweep(model, x, model.beta, rng),
        lambda: reference_sweep(x, model.beta, gen),
    )


def metropolis_numpy_l64():
    """One array-API checkerboard Metropolis sweep (64 chains, L = 64) vs direct numpy."""
    return _metropolis(64, "numpy")


def metropolis_numpy_l256():
    """One array-API checkerboard Metropolis sweep (64 chains, L = 256) vs direct numpy."""
    return _metropolis(256, "numpy")


def metropolis_torch_l64():
    """One array-API checkerboard Metropolis sweep (64 chains, L = 64) on torch vs direct torch."""
    return _metropolis(64, "torch")


def _versus_c(kind, rule, size, chains):
    """One numpy sweep (``baselines.local.sweep``) vs one sweep of the plain C yardstick
    (tests/perf/c_yardstick.c: int8 states, xorshift64, the same acceptance table), both on
    ``chains`` copies of an Ising (β = 0.4407) or Potts q = 4 (β = 1.0986) lattice, each evolving
    its own chains from the same state after 20 C sweeps.  Checked at β = 0 first from the
    all-up state (no ties: ΔE = +8 on the first colour, −8 on the second after it), where both
    must change every site (Metropolis).  The gate ratio is numpy time / C time, so a threshold
    of 1/0.6 fires when numpy falls below 0.6× C's flips/ns."""
    local = pytest.importorskip("leapsbench.baselines.local")
    yardstick = pytest.importorskip("c_yardstick")
    model = ising(size, beta=0.4407) if kind == "ising" else potts(4, size, beta=1.0986)
    backend = _backend("numpy")
    x = model.uniform_states(backend, backend.rng(0), chains)
    if rule == "metropolis":
        hot, up = model.with_beta(0.0), np.ones_like(x)
        c_hot = yardstick.Sweeper(hot, up, rule)
        assert c_hot.sweep() == x.size
        changed, acceptance = local.sweep(hot, up, 0.0, backend.rng(0), rule)
        assert np.all(changed != up) and np.all(acceptance == 1.0)
    c = yardstick.Sweeper(model, x, rule)
    c.sweep(20)
    rng, state = backend.rng(1), [c.x.copy()]

    def kernel():
        state[0] = local.sweep(model, state[0], model.beta, rng, rule)[0]

    return kernel, c.sweep


def metropolis_numpy_vs_c_l64():
    """Ising Metropolis sweep, 64 chains, L = 64: numpy vs the C yardstick."""
    return _versus_c("ising", "metropolis", 64, CHAINS)


def metropolis_numpy_vs_c_l256():
    """The same at L = 256."""
    return _versus_c("ising", "metropolis", 256, CHAINS)


def metropolis_numpy_vs_c_l24_1000():
    """The same at L = 24 with 1000 chains (the AIS/SMC shape)."""
    return _versus_c("ising", "metropolis", 24, 1000)


def swendsen_wang_numpy_vs_c_l64():
    """One Swendsen–Wang update (``baselines.cluster``, numpy + scipy connected components),
    Ising L = 64, 64 chains, vs the C union-find yardstick, each evolving its own chains from
    the same state after 20 C updates.  Checked at β = 0 first: no bond opens, so both make
    every site its own cluster (C counts B·N clusters, scipy labels B·N components)."""
    cluster = pytest.importorskip("leapsbench.baselines.cluster")
    yardstick = pytest.importorskip("c_yardstick")
    model, backend = ising(64, beta=0.4407), _backend("numpy")
    x = model.uniform_states(backend, backend.rng(0), CHAINS)
    hot = model.with_beta(0.0)
    assert yardstick.SwendsenWang(hot, x).sweep() == x.size
    assert cluster.clusters(hot, x, 0.0, np.random.default_rng(0))[1] == x.size
    return _cluster_vs_c(cluster.swendsen_wang, yardstick.SwendsenWang(model, x), warm_up=20)


def wolff_numpy_vs_c_l64():
    """One Wolff update of every chain (``baselines.cluster.wolff``: numpy + scipy, the seeds'
    clusters by one breadth-first search), Ising L = 64, 64 chains, β = 0.4407, vs the C
    stack-grown Wolff, each evolving its own chains from the same state after 2000 C updates
    (equilibrated: mean cluster ~1600 sites on both sides).  Both flip one cluster per chain
    per call, so the time ratio is the ratio of clusters/s and, on average, of site updates/s:
    the threshold 1/0.25 fires below 0.25× C (docs/perf.md: 0.3× left too little headroom).
    Checked at β = 0 first: no bond opens, so both change exactly one site per chain."""
    cluster = pytest.importorskip("leapsbench.baselines.cluster")
    yardstick = pytest.importorskip("c_yardstick")
    model, backend = ising(64, beta=0.4407), _backend("numpy")
    x = model.uniform_states(backend, backend.rng(0), CHAINS)
    hot = model.with_beta(0.0)
    assert yardstick.Wolff(hot, x).sweep() == CHAINS
    flipped = cluster.wolff(hot, x, 0.0, np.random.default_rng(0))
    assert np.array_equal(np.count_nonzero(flipped != x, axis=(1, 2)), np.ones(CHAINS))
    return _cluster_vs_c(cluster.wolff, yardstick.Wolff(model, x), warm_up=2000)


def _cluster_vs_c(update, c, warm_up: int):
    """(kernel, reference) of a cluster gate: ``warm_up`` C updates of ``c``, then ``update``
    (a ``baselines.cluster`` function) evolving its own copy of the chains against ``c.sweep``."""
    c.sweep(warm_up)
    rng, state = np.random.default_rng(1), [c.x.copy()]

    def kernel():
        state[0] = update(c.model, state[0], c.model.beta, rng)

    return kernel, c.sweep


# name -> (builder, threshold on the median ratio); see docs/perf.md for the measured spread.
GATES = {
    "ising_delta_energy_numpy": (ising_delta_energy_numpy, 2.0),
    "ising_delta_energy_torch": (ising_delta_energy_torch, 1.5),
    "potts_delta_energy_numpy": (potts_delta_energy_numpy, 1.5),
    "leaps_conv_torch": (leaps_conv_torch, 0.7),
    "leaps_mlp_numpy": (leaps_mlp_numpy, 1.5),
    "leaps_attention_numpy_vs_le_mlp": (leaps_attention_numpy_vs_le_mlp, 5.5),
    "leaps_conv_numpy_vs_le_mlp": (leaps_conv_numpy_vs_le_mlp, 1.45),
    "made_sampling_numpy_vs_le_mlp": (made_sampling_numpy_vs_le_mlp, 4.2),
    "metropolis_numpy_l64": (metropolis_numpy_l64, 1.4),
    "metropolis_numpy_l256": (metropolis_numpy_l256, 1.35),
    "metropolis_torch_l64": (metropolis_torch_l64, 1.15),
    "metropolis_numpy_vs_c_l64": (metropolis_numpy_vs_c_l64, 1 / 0.6),
    "metropolis_numpy_vs_c_l256": (metropolis_numpy_vs_c_l256, 1 / 0.6),
    "metropolis_numpy_vs_c_l24_1000": (metropolis_numpy_vs_c_l24_1000, 1 / 0.6),
    "swendsen_wang_numpy_vs_c_l64": (swendsen_wang_numpy_vs_c_l64, 1 / 0.3),
    "wolff_numpy_vs_c_l64": (wolff_numpy_vs_c_l64, 1 / 0.25),
}


# measure_ratio options: every gate here times CPU kernels only (numpy, torch CPU), so all time
# this process's CPU time; wall-time ratios swing 0.04-7 on a loaded machine (docs/perf.md).
OPTIONS = {"clock": time.process_time, "min_seconds": 0.1}


@pytest.mark.parametrize("name", list(GATES))
def test_gate(name, ratio_gate):
    builder, threshold = GATES[name]
    kernel, reference = builder()
    ratio_gate(name, kernel, reference, threshold, **OPTIONS)


# The injected slowdown of each gate's twin: 2x, but 4x for the gates against C, whose threshold
# (0.6x of C, issue 18) sits far above a kernel that beats C: the numpy sweep takes 0.61-0.69 of
# C's time since the row colour planes (issue 18, third session), and its 3x twin then read
# 1.74-2.03 against 1.667 (one run 4 % above the threshold: a twin that would flap).  3x for the
# networks against the direct numpy LE-MLP: their speed relative to it differs between the
# machines these runs land on (attention 2.6-2.9 on an AVX2 EPYC, ~4.4 on an AVX-512 one), so a
# threshold above both machines' medians sits above one machine's 2x twin; 5x for MADE (1.4 and
# ~3.2: its sampling is a Python loop of 36 small steps, the yardstick compute; docs/perf.md).
# 3x for ising_delta_energy_numpy too: in the gates' process its medians ranged 1.22-1.54
# between clean-clone CI runs (what ran before it), its 2x twin's 2.26-2.83, so no threshold kept
# a 20 % margin on both sides.
SLOWDOWN = {name: 4 if "_vs_c_" in name else 3 if "_vs_le_mlp" in name else 2 for name in GATES}
SLOWDOWN["ising_delta_energy_numpy"] = 3
SLOWDOWN["made_sampling_numpy_vs_le_mlp"] = 5


@pytest.mark.parametrize("name", list(GATES))
def test_gate_fires_on_slowdown(name, ratio_gate):
    builder, threshold = GATES[name]
    kernel, reference = builder()
    ratio_gate(
        f"{name}[{SLOWDOWN[name]}x]",
        slowed(kernel, SLOWDOWN[name]),
        reference,
        threshold,
        repeats=7,
        expect="fire",
        **OPTIONS,
    )
