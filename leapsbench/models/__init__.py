"""Lattice models: Ising and Potts on square lattices, and annealing schedules."""

from .ising import Ising
from .lattice import Lattice
from .potts import Potts
from .schedule import LinearSchedule, PowerSchedule, beta_at, dbeta_dt, get_schedule


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


def model_from_config(config: dict):
    """Rebuild a model from its ``config()`` dict (checkpoints, results)."""
    lattice = Lattice(config["Lx"], config["Ly"], config.get("periodic", True))
    if config["model"] == "ising":
        return Ising(lattice, beta=config["beta"], J=config["J"], h=config.get("h", 0.0))
    if config["model"] == "potts":
        return Potts(lattice, beta=config["beta"], J=config["J"], q=config["q"])
    raise ValueError(f"unknown model {config['model']!r}; known: ising, potts")


__all__ = [
    "Ising",
    "Lattice",
    "LinearSchedule",
    "Potts",
    "PowerSchedule",
    "beta_at",
    "dbeta_dt",
    "get_schedule",
    "ising",
    "model_from_config",
    "potts",
]
