"""Models: energy changes against energy differences, magnetization, validation, backend parity."""

import numpy as np
import pytest

from leapsbench.models import Ising, Lattice, Potts, get_schedule, ising, potts

MODELS = [
    ising(3, 4, beta=0.5, h=0.3),
    ising(3, 3, beta=0.5, periodic=False),
    ising(2, 2, beta=0.3),
    potts(3, 3, beta=1.0),
    potts(4, 4, 3, beta=1.0, periodic=False),
]


def _set_value(model, x, i, j, a):
    y = x.copy()
    y[:, i, j] = model.from_values(np.int8(a))
    return y


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.kind}-{m.shape}-{m.lattice.periodic}")
def test_delta_energy_matches_energy_difference(backend, model):
    x = model.uniform_states(backend, backend.rng(3), batch=6)
    energy = backend.to_numpy(model.energy(x))
    delta = backend.to_numpy(model.delta_energy(x))
    host = backend.to_numpy(x)
    for i in range(model.shape[0]):
        for j in range(model.shape[1]):
            for a in range(model.q):
                moved = backend.asarray(_set_value(model, host, i, j, a))
                expected = backend.to_numpy(model.energy(moved)) - energy
                np.testing.assert_allclose(delta[:, i, j, a], expected, atol=1e-12)


def test_ising_energy_of_ground_state():
    model = ising(4, 6, beta=1.0, J=1.5, h=0.25)
    x = np.ones((1, 4, 6), dtype=np.int8)
    assert model.energy(x)[0] == pytest.approx(-1.5 * 2 * 24 - 0.25 * 24)
    assert model.magnetization(-x)[0] == 1.0


def test_open_boundaries_count_fewer_bonds():
    x = np.ones((1, 3, 5), dtype=np.int8)
    assert ising(3, 5, periodic=False).energy(x)[0] == -Lattice(3, 5, False).n_bonds == -22


def test_potts_q2_is_ising_with_half_coupling():
    """δ(s_i,s_j) = (1 + s_i s_j)/2 ⇒ H_Potts(J) = H_Ising(J/2) − J·n_bonds/2."""
    p, i = potts(2, 3, 4, beta=1.0, J=1.3), ising(3, 4, beta=1.0, J=0.65)
    values = np.random.default_rng(0).integers(0, 2, (20, 3, 4)).astype(np.int8)
    np.testing.assert_allclose(
        p.energy(values), i.energy(i.from_values(values)) - 1.3 * p.lattice.n_bonds / 2
    )


def test_potts_magnetization_range():
    model = potts(4, 4, beta=1.0)
    ordered = np.zeros((1, 4, 4), dtype=np.int8)
    balanced = np.arange(16, dtype=np.int8).reshape(1, 4, 4) % 4
    assert model.magnetization(ordered)[0] == 1.0
    assert model.magnetization(balanced)[0] == 0.0


def test_backend_parity(backend):
    model = potts(3, 5, 4, beta=1.0)
    host = np.random.default_rng(1).integers(0, 3, (7, 5, 4)).astype(np.int8)
    x = backend.asarray(host)
    np.testing.assert_allclose(
        backend.to_numpy(model.delta_energy(x)), model.delta_energy(host), atol=1e-12
    )
    np.testing.assert_allclose(backend.to_numpy(model.magnetization(x)), model.magnetization(host))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: potts(1, 4), "q must be"),
        (lambda: ising(4, beta=-0.1), "beta must be >= 0"),
        (lambda: ising(1), "Lx must be an integer >= 2"),
        (lambda: ising(4, beta=float("nan")), "beta must be finite"),
        (lambda: Ising(Lattice(4, 4), beta=0.4, h="x"), "h must be a real number"),
        (lambda: Potts(Lattice(4, 4), beta=0.4, q=2.5), "q must be"),
        (lambda: get_schedule("cosine"), "unknown schedule 'cosine'"),
    ],
)
def test_bad_parameters_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
