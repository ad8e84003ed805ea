"""Fine-tuning: continue training a trained LE-conv network on another benchmark.

:func:`start_from` puts the network of a file (the LEAPS authors' .ckpt or a leapsbench
checkpoint, any lattice size) into a leaps-conv method for the benchmark's model, carried over
by :func:`.transfer.transfer` (any β; for Potts with more values the new embedding rows and
readout columns are drawn fresh).  Training then continues with leapsbench's PINN trainer from
step 0 of the method's training config (its learning-rate schedule and curriculum start afresh).

The F-net starts fresh (∂_tF_t = 0).  A log Ẑ estimate fixes only ∫₀¹ ∂_tF_t = −(log Z_1 −
log Z_0), not its shape in t, and costs a sampling run at the new size before the first step; the
F-net's output layer alone fits a constant within a few hundred Adam steps, while the network's
scores, which the residual also depends on, start where the source left them.

Cost: what was spent here only — the steps, the network passes and the CPU seconds of the
training state (:mod:`.train`) — is recorded in ``fine_tuning`` (saved in the checkpoint); the
source network's own training is not counted, and ``fine_tuning["not_counted"]`` says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from .transfer import TRANSFER_KEYS, read_trained_network, transfer

NOT_COUNTED = (
    "the training of the network this fine-tuning started from (init_from) is not counted: "
    "steps, network evaluations and CPU seconds are those spent here"
)


def start_from(method, path, model, overrides: dict, seed: int) -> dict:
    """Set ``method`` (leaps-conv) to the network in ``path`` carried to ``model`` and return the
    ``init_from`` provenance (file, its sha256, source, the model it was trained for, what
    changed).  ``overrides`` may not set network hyperparameters other than
    :data:`.transfer.TRANSFER_KEYS` (the file fixes them)."""
    network_keys = set(method.settings.network) | {"preset"}
    fixed = sorted(k for k in overrides if k in network_keys and k not in TRANSFER_KEYS)
    if fixed:
        raise ValueError(
            f"{fixed} cannot be set with --init-from (the network's architecture comes from "
            f"{path}); allowed network keys: {', '.join(TRANSFER_KEYS)}"
        )
    trained = read_trained_network(path)
    if method.name != "leaps-conv" or trained.network.architecture != "conv":
        raise ValueError(
            f"--init-from fine-tunes an LE-conv network with leaps-conv: {path} holds a "
            f"leaps-{trained.network.architecture} network and the method is {method.name}"
        )
    hyper = {k: overrides[k] for k in TRANSFER_KEYS if k in overrides}
    try:
        moved = transfer(trained, model, other_beta=True, new_values=True, hyper=hyper, seed=seed)
    except ValueError as err:
        raise ValueError(f"--init-from {path}: {err}") from None
    method.network, method.params, method.model = moved.network, moved.params, model
    method.settings = replace(method.settings, network=dict(moved.network.hyper))
    method.fnet, method.steps_done, method.network_evaluations = None, 0, 0
    source_file = Path(moved.info.get("checkpoint") or path)
    init_from = {
        "path": str(path),
        "sha256": hashlib.sha256(source_file.read_bytes()).hexdigest(),
        **{k: moved.info.get(k) for k in ("source", "trained_for", "changes", "transferred")},
        "source_steps": moved.info.get("global_step", moved.info.get("steps_done")),
    }
    method.fine_tuning = {"init_from": init_from, "fnet": "fresh", "not_counted": NOT_COUNTED}
    return init_from


def record_spent(method, fit_info: dict) -> dict:
    """``method.fine_tuning`` with what the training state has spent here so far: steps,
    network evaluations and CPU seconds (None where the state did not count them)."""
    method.fine_tuning = {
        **method.fine_tuning,
        "steps_here": method.steps_done,
        "network_evaluations_here": method.network_evaluations,
        "cpu_seconds_here": fit_info.get("train_cpu_seconds"),
    }
    return method.fine_tuning
