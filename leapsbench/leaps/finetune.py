"""Fine-tuning: continue training a trained LE-conv network on another benchmark.

:func:`start_from` puts the network of a file (the LEAPS authors' .ckpt or a leapsbench
checkpoint, any lattice size) into a leaps-conv method for the benchmark's model, carried over
by :func:`.transfer.transfer` (any β; for Potts with more values the new embedding rows and
readout columns are drawn fresh).  Training then continues with leapsbench's PINN trainer from
step 0 of the method's training config (its learning-rate schedule and curriculum start afresh).

The F-net (∂_tF_t) is fitted, not fresh (``fnet="fitted"``, :func:`fitted_fnet`): a fresh one
outputs 0 while the PINN residual's optimum ∂_tF_t = E[∂_tU_t + flux_t] is of order β·|H| ~ 10²
at L = 24, and Adam at a fine-tuning learning rate moves it by ~lr per step, so for thousands of
steps the residual would be dominated by F's error and its gradient would bend the carried
network to make up for it.  The fitted F-net keeps the fresh hidden layers and sets its output
layer to the least-squares optimum of the PINN loss for the carried network on one rollout
(ridge-regularised), which also gives a log Ẑ estimate, log Z_0 − ∫₀¹ ∂_tF_t dt; a log Ẑ
estimate alone would fix only that integral, not ∂_tF_t's shape in t.

Cost: what was spent here only — the steps, the network passes and the CPU seconds of the
training state (:mod:`.train`) — is recorded in ``fine_tuning`` (saved in the checkpoint); the
source network's own training is not counted, and ``fine_tuning["not_counted"]`` says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import array_api_compat
import numpy as np

from .fnet import dfdt
from .transfer import TRANSFER_KEYS, read_trained_network, transfer

RIDGE = 1e-4
"""Ridge weight of the F-net output fit, relative to the mean diagonal of the Gram matrix: the
last hidden layer's features of t are nearly collinear, and an unregularised fit (1e-6 absolute)
gave output weights of ~3000 that one Adam step of 3e-5 on the hidden layers turned into a PINN
loss of 10⁶ (24 × 24 β_c); at 1e-4 the fit's error is the same and the weights ~20× smaller."""
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
    method.fine_tuning = {"init_from": init_from, "not_counted": NOT_COUNTED}
    return init_from


def fitted_fnet(method, model, seed: int, chunk: int = 64) -> tuple[dict, dict]:
    """(F-net, info): ``init_fnet`` of ``method``'s training config with its output layer
    (w, b) = argmin Σ_k (h(t_k)·w + b − y_k)² + λ(|w|² + b²), λ = RIDGE · tr(DᵀD) / dim (D the
    design [h, 1]), over the states x_k of one rollout of the carried network (``config.horizon``
    steps), y_k = ∂_tU(x_k) + flux(x_k) = −r(x_k) at ∂_tF = 0 and h the F-net's last hidden
    layer.  ``info``: the fit's CPU seconds, its number of states and network passes, and
    log Z_0 − mean_k ∂_tF(t_k) (a log Ẑ estimate on the time grid)."""
    import time

    import torch

    from leapsbench.backends import get_backend
    from leapsbench.models.schedule import get_schedule
    from leapsbench.params import params_to

    from .fnet import features, init_fnet
    from .losses import path_states_and_times, pinn_residual, rollout

    cpu_start, config = time.process_time(), method.settings.training
    backend = get_backend("torch")
    weights = params_to(backend, method.params)
    fnet = init_fnet(config.fnet_width, seed, config.fnet_depth)
    zero = params_to(backend, fnet)
    path = rollout(
        method.network, weights, model, backend, backend.rng(seed), config, config.horizon
    )
    x, t = path_states_and_times(path, 1.0 / config.horizon, backend.dtype)
    floor, schedule = config.rate_floor, get_schedule(config.schedule)
    with torch.no_grad():
        parts = [
            -pinn_residual(method.network, weights, zero, model, x[i : i + chunk], t[i : i + chunk],
                           floor, schedule)
            for i in range(0, x.shape[0], chunk)
        ]  # fmt: skip
        hidden = features(array_api_compat.array_namespace(t), zero, t)
        design = torch.cat([hidden, torch.ones_like(t)[:, None]], dim=1)
    design, target = design.numpy(), torch.cat(parts).numpy()
    gram = design.T @ design
    gram += RIDGE * np.trace(gram) / gram.shape[0] * np.eye(gram.shape[0])
    solution = np.linalg.solve(gram, design.T @ target)
    fnet["f_wout"], fnet["f_bout"] = solution[:-1], np.asarray(solution[-1])
    grid = np.arange(config.horizon) / config.horizon
    slope = dfdt(np, fnet, grid)
    info = {
        "init": "output layer fitted to the PINN optimum on one rollout (finetune.fitted_fnet)",
        "states": int(x.shape[0]),
        "network_evaluations": 2 * int(x.shape[0]),  # the rollout's passes, the targets'
        "log_z": float(model.log_z0 - np.mean(slope)),
        "cpu_seconds": time.process_time() - cpu_start,
    }
    return fnet, info


def record_spent(method, fit_info: dict) -> dict:
    """``method.fine_tuning`` with what was spent here so far: steps, network evaluations and
    CPU seconds of the training state plus those of the F-net fit (None where not counted), and
    the training's wall seconds (all sittings: what ``--seconds`` budgets)."""
    train_cpu, passes = fit_info.get("train_cpu_seconds"), method.network_evaluations
    fnet = method.fine_tuning.get("fnet", {})
    method.fine_tuning = {
        **method.fine_tuning,
        "steps_here": method.steps_done,
        "network_evaluations_here": None
        if passes is None
        else passes + fnet.get("network_evaluations", 0),
        "cpu_seconds_here": None if train_cpu is None else train_cpu + fnet.get("cpu_seconds", 0),
        "train_wall_seconds_here": fit_info.get("train_seconds"),
    }
    return method.fine_tuning
