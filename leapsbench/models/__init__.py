"""Lattice models: Ising, Potts and spin glasses on square lattices, and annealing schedules."""

from .base import ENCODINGS
from .couplings import Couplings, ea_instance
from .graph import Graph, not_on_graphs, on_square_lattice
from .graph_couplings import cubic_instance, rrg_instance
from .graph_spin_glass import GraphSpinGlass, graph_spin_glass_from_config
from .ising import Ising
from .lattice import Lattice
from .potts import Potts
from .schedule import LinearSchedule, PowerSchedule, beta_at, dbeta_dt, get_schedule
from .spin_glass import SpinGlass, spin_glass_from_config


def ising(
    Lx: int,
    Ly: int | None = None,
    beta: float = 0.4407,
    J: float = 1.0,
    h: float = 0.0,
    periodic: bool = True,
) -> Ising:
    """Shorthand: an Ising model on an Lx × Ly (default square) lattice."""
    return Ising(Lattice(Lx, Lx if Ly is None else Ly, periodic), beta=beta, J=J, h=h)


def potts(
    q: int, Lx: int, Ly: int | None = None, beta: float = 1.0, J: float = 1.0, periodic: bool = True
) -> Potts:
    """Shorthand: a q-state Potts model on an Lx × Ly (default square) lattice."""
    return Potts(Lattice(Lx, Lx if Ly is None else Ly, periodic), beta=beta, J=J, q=q)


def ea(
    Lx: int,
    Ly: int | None = None,
    beta: float = 1.0,
    seed: int = 0,
    gauss: bool = False,
    periodic: bool = True,
    h: float = 0.0,
) -> SpinGlass:
    """Shorthand: the Edwards–Anderson spin glass of instance ``seed`` (``ea_instance``)."""
    Ly = Lx if Ly is None else Ly
    couplings = ea_instance(Lx, Ly, seed, gauss=gauss, periodic=periodic)
    lattice = Lattice(Lx, Ly, periodic)
    return SpinGlass(lattice, beta=beta, couplings=couplings, h=h, instance=(seed, bool(gauss)))


def spin_glass(couplings: Couplings, beta: float = 1.0, h: float = 0.0) -> SpinGlass:
    """Shorthand: a spin glass with the given couplings (its lattice from theirs)."""
    lattice = Lattice(couplings.Lx, couplings.Ly, couplings.periodic)
    return SpinGlass(lattice, beta=beta, couplings=couplings, h=h)


def ea3d(
    L: int, beta: float = 1.0, seed: int = 0, gauss: bool = False, periodic: bool = True
) -> GraphSpinGlass:
    """Shorthand: the 3D Edwards–Anderson spin glass of instance ``seed`` on the L³ cube
    (``cubic_instance``; states of shape (L, L²))."""
    return GraphSpinGlass(cubic_instance(L, seed, gauss, periodic), beta=beta)


def rrg(n_sites: int, degree: int, beta: float = 1.0, seed: int = 0, gauss: bool = False):
    """Shorthand: the spin glass of instance ``seed`` on a random ``degree``-regular graph
    (``rrg_instance``; states of shape (N, 1))."""
    return GraphSpinGlass(rrg_instance(n_sites, degree, seed, gauss), beta=beta)


def model_encoding(model) -> str:
    """The model's ``encoding``, a key of ``ENCODINGS``; ValueError naming it otherwise."""
    encoding = getattr(model, "encoding", None)
    if encoding not in ENCODINGS:
        raise ValueError(
            f"model encoding must be one of {', '.join(ENCODINGS)}, "
            f"got {encoding!r} ({type(model).__name__})"
        )
    return encoding


def state_kind(model) -> str:
    """The name networks store for the model's ``encoding`` (``ENCODINGS``): "ising" for models
    stored as ±1 spins (Ising, spin glass), "potts" for models stored as value indices."""
    return ENCODINGS[model_encoding(model)]


def model_from_config(config: dict):
    """Rebuild a model from its ``config()`` dict (checkpoints, results)."""
    if "graph" in config:
        return graph_spin_glass_from_config(config)
    lattice = Lattice(config["Lx"], config["Ly"], config.get("periodic", True))
    if config["model"] == "ising":
        return Ising(lattice, beta=config["beta"], J=config["J"], h=config.get("h", 0.0))
    if config["model"] == "potts":
        return Potts(lattice, beta=config["beta"], J=config["J"], q=config["q"])
    if config["model"] == "spin-glass":
        return spin_glass_from_config(lattice, config)
    raise ValueError(f"unknown model {config['model']!r}; known: ising, potts, spin-glass")


__all__ = [
    "ENCODINGS",
    "Couplings",
    "Graph",
    "GraphSpinGlass",
    "Ising",
    "Lattice",
    "LinearSchedule",
    "Potts",
    "PowerSchedule",
    "SpinGlass",
    "beta_at",
    "dbeta_dt",
    "ea",
    "ea3d",
    "ea_instance",
    "get_schedule",
    "ising",
    "model_from_config",
    "not_on_graphs",
    "on_square_lattice",
    "potts",
    "rrg",
    "spin_glass",
    "model_encoding",
    "state_kind",
]
