"""Step 0: what the check runs on (device name, driver, library versions), and the device gate:
on a GPU run, torch must see CUDA and CuPy a device, else the check stops with a clear message
before spending any of its minutes."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess

LIBRARIES = (
    "leapsbench",
    "numpy",
    "scipy",
    "torch",
    "cupy-cuda13x",
    "cupy-cuda12x",
    "array-api-compat",
    "array-api-extra",
    "array-api-strict",
    "pandas",
    "dask",
    "distributed",
    "pytest",
)


class DeviceMissing(RuntimeError):
    """The GPU run's backends are not usable here."""


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries the check uses (absent ones left out)."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def nvidia_smi() -> str | None:
    """``name, driver_version, memory.total`` of the GPUs from nvidia-smi, or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
    try:
        done = subprocess.run(query, capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def torch_device() -> dict:
    """torch's view: version, CUDA build, the device it sees (or why none)."""
    import torch

    info = {"torch": torch.__version__, "torch_cuda_build": torch.version.cuda}
    if not torch.cuda.is_available():
        return {**info, "cuda": False, "why": "torch.cuda.is_available() is False"}
    props = torch.cuda.get_device_properties(0)
    return {
        **info,
        "cuda": True,
        "device": props.name,
        "memory_gib": round(props.total_memory / 2**30, 1),
        "device_count": torch.cuda.device_count(),
    }


def cupy_device() -> dict:
    """CuPy's view: version, runtime and driver versions, the device (or why none)."""
    try:
        import cupy
    except ImportError as err:
        return {"cupy": None, "device": None, "why": f"cupy is not importable: {err}"}
    info = {"cupy": cupy.__version__}
    try:
        runtime = cupy.cuda.runtime
        props = runtime.getDeviceProperties(0)
        name = props["name"]
        return {
            **info,
            "device": name.decode() if isinstance(name, bytes) else str(name),
            "cuda_runtime": runtime.runtimeGetVersion(),
            "cuda_driver": runtime.driverGetVersion(),
        }
    except Exception as err:  # CUDARuntimeError and friends: no usable device
        return {**info, "device": None, "why": f"{type(err).__name__}: {err}"}


def describe(gpu: bool) -> dict:
    """Host, libraries and, on a GPU run, the devices that torch and CuPy see."""
    versions = library_versions()
    info = {
        "host": platform.node(),
        "machine": platform.machine(),
        "cpu": platform.processor() or platform.machine(),
        "versions": versions,
        "nvidia_smi": nvidia_smi(),
    }
    if not gpu:  # the dry run: no device to look for (and no torch import to wait for)
        return {**info, "torch": {"torch": versions.get("torch"), "why": "CPU dry run"}}
    return {**info, "torch": torch_device(), "cupy": cupy_device()}


def check_devices(info: dict) -> None:
    """DeviceMissing naming what is missing unless torch sees CUDA and CuPy a device."""
    problems = []
    if not info["torch"].get("cuda"):
        problems.append(
            f"torch {info['torch']['torch']} sees no CUDA device ({info['torch']['why']})"
        )
    if not info.get("cupy", {}).get("device"):
        problems.append(f"CuPy has no device ({info.get('cupy', {}).get('why')})")
    if problems:
        raise DeviceMissing(
            "; ".join(problems) + ". The GPU check needs CUDA PyTorch and CuPy on a GPU "
            "(use --cpu-dry-run to rehearse it on a CPU)"
        )
