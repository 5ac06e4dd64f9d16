"""Reproducibility helpers."""
from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

__all__ = ["seed_everything", "pick_device"]


def seed_everything(seed: int, *, deterministic: bool = True) -> torch.Generator:
    """Seed ``random``, NumPy and torch (CPU and CUDA); return a fresh ``torch.Generator``.

    With ``deterministic=True`` torch is asked for deterministic kernels (``warn_only`` so that
    an op without one warns instead of failing). The same seed gives the same numbers on CPU;
    PyTorch promises nothing across releases, platforms or CPU vs GPU.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        _use_deterministic_kernels()
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def _use_deterministic_kernels() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)`` without loading Inductor.

    Recent torch also sets ``torch._inductor.config.deterministic`` there, and importing that
    config loads the compiler stack (dynamo, sympy): seconds in every fresh process, e.g. each
    sweep worker. While Inductor is not loaded, the environment variable its config reads when
    it is first imported (``TORCHINDUCTOR_DETERMINISTIC``) sets the same flag; once it is
    loaded, torch's own call is as cheap.
    """
    if "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True, warn_only=True)
        return
    os.environ["TORCHINDUCTOR_DETERMINISTIC"] = "1"
    torch._C._set_deterministic_algorithms(True, warn_only=True)


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/``"auto"`` → CUDA when available, else CPU; otherwise the device asked for."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    from .errors import ParameterError  # a ValueError

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device {str(device)!r} was asked for but CUDA is not available; use 'cpu' or 'auto'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ParameterError(f"device {str(device)!r} was asked for but MPS is not available here; use 'cpu' or 'auto'")
    return dev
