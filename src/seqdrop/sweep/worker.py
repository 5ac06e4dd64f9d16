"""What the sweep installs on Dask workers (imported there, and by the driver only once a
cluster is in use: it needs ``distributed``)."""
from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .cluster import undo_malloc_trim

__all__ = ["KeepAdaptiveMalloc"]


class KeepAdaptiveMalloc(WorkerPlugin):
    """Undo the ``MALLOC_TRIM_THRESHOLD_=65536`` that Dask's nanny gives the workers it starts
    (a 1.5× slower PyTorch training: :func:`~seqdrop.sweep.cluster.undo_malloc_trim`)."""

    name = "seqdrop-keep-adaptive-malloc"

    def setup(self, worker: Any) -> None:
        undo_malloc_trim()
