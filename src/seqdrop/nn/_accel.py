"""The step loop's accelerator (CUDA graphs) and the switches of the execution path.

The step loop (:mod:`seqdrop.nn.recurrence`) is plain Python over ATen calls. On CUDA it is
launch-bound (~10 small kernels a step), so a loop is captured as a **CUDA graph** the
second time the same signature (shapes, dtypes, strides, mask layout, eval-mode zoneout
value) is seen and replayed as one launch afterwards; at most ``cuda_graph_cache`` graphs
are kept (least recently used evicted), and a failed capture is never retried for that
signature. Replay gives the eager numbers (tested); :func:`accelerators` switches it off.

On CPU the loops run as plain Python: TorchScript (``torch.jit.script``, deprecated since
torch 2.13) was measured against them and gave no benefit (``benchmarks/README.md``).

Settings live in a :class:`contextvars.ContextVar`, so a context manager affects only the
current thread (or task) and is undone on exit, even on error.
"""
from __future__ import annotations

import contextvars
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import torch
from torch import Tensor

__all__ = ["Settings", "settings", "accelerators", "force_step_loop", "maybe_graphed"]


class Settings(NamedTuple):
    """The switches; defaults are what a user gets."""

    cuda_graphs: bool = True  #: replay CUDA step loops as CUDA graphs
    cuda_graph_cache: int = 16  #: graphs kept (LRU)
    force_step_loop: bool = False  #: run the step loop even when the fused kernel could


_SETTINGS: contextvars.ContextVar[Settings] = contextvars.ContextVar("seqdrop_nn_accel", default=Settings())


def settings() -> Settings:
    """The switches in effect in this thread/task."""
    return _SETTINGS.get()


def _assume_constant_result(fn: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`torch.compiler.assume_constant_result` without importing the compiler: that
    decorator imports ``torch._dynamo`` (and with it Inductor and sympy, seconds in every new
    process, e.g. each sweep worker) only to set this mark, which Dynamo reads when it traces."""
    fn._dynamo_marked_constant = True  # type: ignore[attr-defined]
    return fn


@_assume_constant_result
def step_loop_forced() -> bool:
    """Whether :func:`force_step_loop` is on (a constant to ``torch.compile``, which cannot
    trace a ``ContextVar``: a compiled module is specialised on the value at compile time)."""
    return _SETTINGS.get().force_step_loop


@contextmanager
def _override(**changes: Any) -> Iterator[Settings]:
    token = _SETTINGS.set(_SETTINGS.get()._replace(**changes))
    try:
        yield _SETTINGS.get()
    finally:
        _SETTINGS.reset(token)


@contextmanager
def accelerators(
    *, cuda_graphs: bool | None = None, cuda_graph_cache: int | None = None
) -> Iterator[Settings]:
    """Switch the step loop's accelerators for the duration of a ``with`` block.

    ``accelerators(cuda_graphs=False)`` runs CUDA step loops eagerly;
    ``cuda_graph_cache`` sets how many captured graphs are kept. An argument left at None
    keeps the current value. The results are the same either way (up to float rounding).

    Example::

        >>> import seqdrop.nn as snn
        >>> with snn.accelerators(cuda_graphs=False) as s:
        ...     s.cuda_graphs
        False
    """
    changes: dict[str, Any] = {}
    if cuda_graphs is not None:
        if not isinstance(cuda_graphs, bool):
            raise TypeError(f"cuda_graphs must be a bool or None, got {cuda_graphs!r}")
        changes["cuda_graphs"] = cuda_graphs
    if cuda_graph_cache is not None:
        if isinstance(cuda_graph_cache, bool) or not isinstance(cuda_graph_cache, int) or cuda_graph_cache < 0:
            raise ValueError(f"cuda_graph_cache must be an int >= 0, got {cuda_graph_cache!r}")
        changes["cuda_graph_cache"] = cuda_graph_cache
    with _override(**changes) as s:
        yield s


@contextmanager
def force_step_loop(enabled: bool = True) -> Iterator[Settings]:
    """Run every :mod:`seqdrop.nn` layer through the step loop, even with no option on.

    For testing and teaching: the step loop then has to reproduce ``torch.nn`` exactly.

    Example::

        >>> import torch, seqdrop.nn as snn
        >>> lstm = snn.LSTM(3, 4)
        >>> with snn.force_step_loop():
        ...     out, (h, c) = lstm(torch.randn(5, 2, 3))
    """
    with _override(force_step_loop=bool(enabled)) as s:
        yield s


# --------------------------------------------------------------------------- CUDA graphs
class _GraphCache:
    """Captured graphs by signature (LRU) and how often each signature was seen."""

    MAX_TRIES = 3  # a signature is captured on its 2nd sighting; failures park it at 10

    def __init__(self) -> None:
        self.graphs: OrderedDict[tuple, tuple] = OrderedDict()
        self.seen: dict[tuple, int] = {}

    def clear(self) -> None:
        self.graphs.clear()
        self.seen.clear()


graph_cache = _GraphCache()


def _signature(args: tuple) -> tuple:
    return tuple(
        (tuple(a.shape), a.dtype, a.device, a.stride()) if isinstance(a, Tensor) else a for a in args
    )


def _capture(fn: Callable, args: tuple) -> tuple:
    static_in = [a.clone() if isinstance(a, Tensor) else a for a in args]
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        fn(*static_in)  # warm-up outside the capture
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, capture_error_mode="thread_local"):
        static_out = fn(*static_in)
    return graph, static_in, static_out


def maybe_graphed(name: str, fn: Callable, args: tuple) -> Any:
    """``fn(*args)``, replayed from a CUDA graph when the same call was seen before.

    ``args`` are tensors and plain values (None, bool, float, a mask NamedTuple flattened
    by the caller); only CUDA calls with CUDA graphs on are graphed.
    """
    s = settings()
    first = args[0]
    on = s.cuda_graphs and s.cuda_graph_cache > 0 and isinstance(first, Tensor) and first.is_cuda
    if not on or torch.cuda.is_current_stream_capturing():
        return fn(*args)
    key = (name, _signature(args))
    cache = graph_cache
    entry = cache.graphs.get(key)
    if entry is None:
        n = cache.seen.get(key, 0) + 1
        cache.seen[key] = n
        if n < 2 or n > cache.MAX_TRIES:  # first sighting, or capture already failed
            return fn(*args)
        try:
            entry = _capture(fn, args)
        except Exception:  # pragma: no cover - depends on the CUDA runtime
            cache.seen[key] = 10
            return fn(*args)
        cache.graphs[key] = entry
        while len(cache.graphs) > s.cuda_graph_cache:
            cache.graphs.popitem(last=False)
    cache.graphs.move_to_end(key)
    graph, static_in, static_out = entry
    for dst, src in zip(static_in, args):
        if isinstance(dst, Tensor):
            dst.copy_(src)
    graph.replay()
    return tuple(o.clone() if isinstance(o, Tensor) else o for o in static_out)
