"""The identity of the code that computes a method's rows: version and a hash of its sources.

``code_identity(method)`` = {"code_version", "code_hash"}.  For a built-in method: the installed
leapsbench version and the first 12 hex digits of the SHA-256 over the ``.py`` files of the
family module's own package directory (e.g. ``leapsbench/leaps/`` for leaps-mlp, ``baselines/``
for metropolis) and of :data:`SHARED_SOURCES` (models, backends and the shared sampler layer the
numbers also depend on), each file as its `directory/name` and its bytes.  For
a plug-in (:func:`.methods.method_origin`): its ``distribution==version`` and the hash of its
module's file.  Rows and cached trained models carry it, so a change to a sampler is never
answered with a row or a checkpoint that the old code computed (:mod:`.grid`, :mod:`.runner`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

SHARED_SOURCES = (
    "leapsbench.models",
    "leapsbench.backends",
    "leapsbench.method",
    "leapsbench.samples",
    "leapsbench.estimators",
    "leapsbench.autocorr",
    "leapsbench.resampling",
    "leapsbench.timed",
    "leapsbench.params",
    "leapsbench.checkpoint",
    "leapsbench.presets",
    "leapsbench.harness.metrics",
    "leapsbench.harness.reliability",
)
"""Modules and packages that every method's numbers depend on (hashed with the family's)."""


def _sources(module: str, whole_directory: bool) -> list[Path]:
    """The file of ``module``, or every ``.py`` file of its directory (a package's, or a family
    module's own package directory when ``whole_directory``)."""
    origin = Path(importlib.util.find_spec(module).origin).resolve()
    if whole_directory or origin.name == "__init__.py":
        return sorted(origin.parent.glob("*.py"))
    return [origin]


def _hash(files) -> str:
    """SHA-256 (12 hex digits) over each file's ``directory/name`` and bytes."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.parent.name}/{file.name}".encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=64)
def module_identity(module: str) -> dict:
    """{"code_version", "code_hash"} of the method family ``module`` (module docstring)."""
    top = module.split(".")[0]
    if top == "leapsbench":
        files = _sources(module, True) + [f for m in SHARED_SOURCES for f in _sources(m, False)]
        return {"code_version": _version("leapsbench"), "code_hash": _hash(files)}
    names = importlib.metadata.packages_distributions().get(top, [top])
    return {"code_version": _version(names[0]), "code_hash": _hash(_sources(module, False))}


def code_identity(method: str) -> dict:
    """{"code_version", "code_hash"} of the code that computes ``method``'s rows: a built-in
    family's (:func:`module_identity`), or a plug-in's ``distribution==version`` and the hash of
    its module's file (None when that file cannot be found: the version alone identifies it)."""
    from .methods import method_origin

    origin = method_origin(method)
    if origin["kind"] == "builtin":
        return module_identity(origin["family"])
    try:
        code_hash = module_identity(origin["value"].split(":")[0])["code_hash"]
    except (ImportError, AttributeError, ValueError, TypeError):  # not importable from here
        code_hash = None
    return {"code_version": origin.get("identity") or origin.get("version"), "code_hash": code_hash}
