"""LEAPS checkpoints: the shared format (:mod:`leapsbench.checkpoint`), LEAPS networks rebuilt."""

from __future__ import annotations

from leapsbench import checkpoint

from .networks import network_from_config


def load_checkpoint(path, model=None):
    """``(params, network, metadata)`` of a LEAPS checkpoint (:func:`.checkpoint.load_checkpoint`
    with the network rebuilt by :func:`.networks.network_from_config`)."""
    return checkpoint.load_checkpoint(path, model, rebuild=network_from_config)
