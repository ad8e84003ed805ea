"""The resumable state of a LEAPS training run: one torch file, written atomically.

It holds everything the next step depends on — parameters, F-net, optimiser state, the RNG
state, the replay buffer, the history so far and the step reached — so that a run killed and
resumed from it ends bitwise equal to an uninterrupted one.  It is loaded with
``torch.load(weights_only=True)``: tensors and plain containers only, so a file someone else
wrote cannot run code.  ``signature`` (network, model, training config, seed, start step) ties a
file to its run.  Version 1 files (no replay buffer) are ignored with a warning: resuming from
them could not be exact, so training restarts.

Size: the replay buffer dominates, ``buffer_rollouts · walkers · horizon`` int8 states of N
sites (+ a float time each): ~0.2 MB for the quick preset on 4×4, ~1.5 GB for the paper preset on
24×24 (100 rollouts of 200 walkers × 125 steps), written every ``checkpoint_every`` steps.
"""

from __future__ import annotations

import pickle
import re
import warnings
import zipfile
from pathlib import Path

from leapsbench.atomic import atomic_write

FORMAT_VERSION = 2


def save_training_state(path, state: dict) -> None:
    """torch.save ``state`` (with the format version) to ``path`` atomically (fsync, replace)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    versioned = {**state, "format_version": FORMAT_VERSION}
    atomic_write(path, lambda handle: torch.save(versioned, handle))


def _unreadable(path: Path, err) -> ValueError:
    return ValueError(
        f"training state {path} is truncated, corrupt or not a training state ({err}); delete "
        f"it (training then restarts from its first step) or the whole cache entry {path.parent}"
    )


def _refused(path: Path, err) -> ValueError:
    """The safe loader refused a class: name it and what is allowed (not torch's advice to load
    unsafely)."""
    found = re.search(r"GLOBAL (\S+)", str(err))
    what = f"a {found.group(1)} object" if found else f"something it refuses ({err!s:.200})"
    return ValueError(
        f"training state {path} holds {what}, which the safe loader refuses (torch.load "
        "weights_only: tensors, numbers, strings and plain containers only), so leapsbench did "
        f"not write it; delete it (training then restarts) or the whole cache entry {path.parent}"
    )


def load_training_state(path, signature: dict) -> dict | None:
    """The training state at ``path`` on the CPU (None if absent or of an older version).

    Raises ValueError naming the file when it cannot be read or was made for another run.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise _refused(path, err) from None
    except (RuntimeError, OSError, EOFError, ValueError) as err:
        raise _unreadable(path, f"{type(err).__name__}: {err}") from None
    except zipfile.BadZipFile as err:
        raise _unreadable(path, f"BadZipFile: {err}") from None
    if not isinstance(state, dict) or not isinstance(state.get("signature"), dict):
        raise _unreadable(path, "no run signature")
    if state["signature"] != signature:
        differ = sorted(k for k in signature if state["signature"].get(k) != signature[k])
        raise ValueError(
            f"training checkpoint {path} belongs to another run (differs in {', '.join(differ)}); "
            "delete it or choose another path"
        )
    if state.get("format_version") != FORMAT_VERSION:
        warnings.warn(
            f"training state {path} has no replay buffer (written by an older leapsbench): "
            "resuming from it could not be exact, so training restarts",
            stacklevel=2,
        )
        return None
    return state
