"""The test-only clock model (tests/clock_model.py) through LEAPS against enumeration: the
networks read its encoding ("values", from the base model), the sampler its ``delta_energy``,
``one_hot`` and ``energy`` — no LEAPS file knows the model (issue 27).

Each architecture is trained briefly on a 3×3 lattice and then sampled with the exact weights
and one refining sweep per step (the local kernel, from the model's ``delta_energy``): the weights
make log Ẑ and the self-normalised ⟨E⟩ consistent whatever the training reached, and the sweep
keeps the ESS high enough (≈ 40 % of the walkers at this β) for their delta-method error bars to
hold; both must lie within 4σ of the enumerated values.
"""

import numpy as np
import pytest
from clock_model import clock
from leapsbench.backends import get_backend

from leapsbench.checkpoint import load_checkpoint, save_checkpoint
from leapsbench.exact.enumerate import enumerate_model
from leapsbench.leaps.ctmc import CTMCConfig, leaps_sample
from leapsbench.leaps.networks import make_network, network_from_config
from leapsbench.leaps.train import TrainConfig, train_leaps

MODEL = clock(4, 3, 3, beta=0.5)
SMALL = {
    "mlp": {"width": 16},
    "attention": {"width": 16, "heads": 2, "depth": 1},
    "conv": {"kernel_sizes": [3, 3], "channels": 4},
}
TRAINING = TrainConfig(steps=15, walkers=16, horizon=6, pairs=64, buffer_rollouts=2)


@pytest.fixture(scope="module")
def exact():
    return enumerate_model(MODEL)


def weighted_mean_and_error(values, log_weights):
    """Self-normalised Σ w f / Σ w and its delta-method error √(Σ w² (f − f̄)²) / Σ w."""
    w = np.exp(log_weights - log_weights.max())
    mean = np.sum(w * values) / w.sum()
    return mean, np.sqrt(np.sum(w**2 * (values - mean) ** 2)) / w.sum()


@pytest.mark.parametrize("architecture", sorted(SMALL))
def test_trained_leaps_on_the_clock_model_matches_enumeration(architecture, exact):
    network = make_network(architecture, MODEL, **SMALL[architecture])
    assert network.encoding == "values" and network.kind == "potts"
    params, _, history = train_leaps(network, network.init_params(0), MODEL, TRAINING, seed=0)
    assert history["steps_done"] == TRAINING.steps
    backend = get_backend("numpy")
    config = CTMCConfig(n_steps=8, n_walkers=2000, mcmc_sweeps=1)
    samples = leaps_sample(network, params, MODEL, backend, backend.rng(1), config)
    assert abs(samples.log_z - exact.log_z) < 4 * samples.log_z_err, (
        samples.log_z,
        exact.log_z,
        samples.log_z_err,
    )
    energy, error = weighted_mean_and_error(samples.observables["E"], samples.log_weights)
    assert abs(energy - exact.energy) < 4 * error, (energy, exact.energy, error)


def test_clock_network_is_locally_equivariant():
    """G(τx)[i, x_i] = −G(x)[i, a] for x with site i moved to a (the model's own from_values)."""
    network = make_network("conv", MODEL, **SMALL["conv"])
    params = {k: 3 * v for k, v in network.init_params(2).items()}
    x = MODEL.uniform_states(get_backend("numpy"), get_backend("numpy").rng(0), 2)
    g = network.apply(params, x, 0.4)
    for i, j, a in ((0, 0, 1), (2, 1, 3), (1, 2, 0)):
        moved = x.copy()
        moved[:, i, j] = a
        current = x[:, i, j].astype(int)
        back = network.apply(params, moved, 0.4)[np.arange(2), i, j, current]
        np.testing.assert_allclose(back, -g[:, i, j, a], atol=1e-12)


def test_clock_checkpoint_round_trip(tmp_path):
    network = make_network("mlp", MODEL, **SMALL["mlp"])
    params = network.init_params(4)
    save_checkpoint(tmp_path / "clock", params, network, MODEL)
    loaded, rebuilt, metadata = load_checkpoint(tmp_path / "clock", MODEL, network_from_config)
    assert rebuilt == network and metadata["model"]["model"] == "clock"
    assert all(np.array_equal(loaded[k], params[k]) for k in params)


def test_clock_model_has_no_benchmark_name():
    """Benchmarks name the built-in models only: a model of one's own is not named as Potts."""
    from leapsbench.harness.benchmarks import canonical_name

    with pytest.raises(ValueError, match="no benchmark name for a 'clock' model"):
        canonical_name(MODEL)
