"""The implementation shared by :class:`seqdrop.nn.LSTM`, ``GRU`` and ``RNN``.

:class:`SeqdropRNNBase` subclasses :class:`torch.nn.RNNBase` (and the layers subclass
``torch.nn.LSTM``/``GRU``/``RNN``), so parameters, ``state_dict`` keys and shapes,
initialisation, ``.to()``/``.cuda()``, unbatched input and ``PackedSequence`` behave as in
torch. With no option on it makes exactly torch's fused
call (``torch._VF.lstm/gru/rnn_tanh/rnn_relu``), so it is bit-identical to ``torch.nn``.

Execution paths (the options are a :class:`seqdrop.nn.RecurrentDropout`):

* **single fused call** (``dropout``, ``input/output_dropout``, ``weight_dropout``,
  batch-mode ``recurrent_dropout``): locked masks outside, one ``_VF`` call for all layers;
* **per-layer fused calls** when masks between layers are locked (``layer_dropout``) or a
  ``generator`` must drive ``dropout``;
* **step loop** (:mod:`seqdrop.nn.recurrence`) when the recurrence itself changes
  (:meth:`RecurrentDropout.needs_step_loop`) or under :func:`seqdrop.nn.force_step_loop`;
  LSTM projections, empty batches and ``torch.jit.trace`` take the plain-autograd
  recurrence of :mod:`seqdrop.nn.reference` there, and ``create_graph=True`` backward
  passes differentiate it (exact higher-order gradients).

On CUDA, modules that run per layer keep **one cuDNN weight buffer per layer**
(``flatten_parameters`` is overridden) so cuDNN never copies; weight-dropped matrices are
placed in a fresh buffer with the same layout (:mod:`seqdrop.nn.weight_drop`).
"""
from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor, nn

from ..dropout import _check_generator
from ..errors import SeqdropError
from . import _accel, weight_drop
from ._layer_run import GATES, PerLayerRun, check_hidden, fused_call, locked, permute
from .options import RecurrentDropout

__all__ = ["SeqdropRNNBase"]

_TORCH = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN}

class SeqdropRNNBase(nn.RNNBase):
    """Common base of :class:`LSTM`, :class:`GRU` and :class:`RNN` (see the module doc).

    ``self.dropouts`` is the layer's :class:`RecurrentDropout` (built from the keyword
    options); ``self.generator`` draws every mask when set.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        *,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
        **options: Any,
    ) -> None:
        unknown = sorted(set(options) - set(RecurrentDropout.field_names("layer")))
        if unknown:
            raise TypeError(f"{mode.split('_')[0]}: unexpected keyword argument(s) {unknown}")
        opts = RecurrentDropout(dropout=dropout, **options)
        opts.check_cell(mode)
        _check_generator(generator)
        # set before RNNBase.__init__: it flattens the weights, which reads the plan
        self.dropouts = opts
        self.generator = generator
        # RNNBase's own __init__ (not the torch subclass's): it validates the arguments with
        # torch's errors (proj_size on RNN/GRU: ValueError) and registers torch's parameters
        nn.RNNBase.__init__(
            self, mode, input_size, hidden_size, num_layers, bias, batch_first, opts.dropout, bidirectional,
            proj_size=proj_size, device=device, dtype=dtype,
        )

    @property
    def dropout(self) -> float:  # type: ignore[override]
        """torch's between-layer ``dropout``; assigning it (as torch allows) re-validates."""
        return self.dropouts.dropout

    @dropout.setter
    def dropout(self, p: float) -> None:
        self.dropouts = self.dropouts.replace(dropout=p)
        self.__dict__["dropout"] = self.dropouts.dropout  # torch's extra_repr formats __dict__

    # ------------------------------------------------------------------ plan
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def weights_per_direction(self) -> int:
        """``w_ih, w_hh[, b_ih, b_hh][, w_hr]``: how many flat weights one direction has."""
        return (4 if self.bias else 2) + (1 if self.proj_size > 0 else 0)

    @property
    def state_size(self) -> int:
        """Units of ``h`` (``proj_size`` for an LSTM with projections, else ``hidden_size``)."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def _per_layer_layout(self) -> bool:
        """Whether the options make the module run layer by layer (locked masks between
        layers, a generator driving ``dropout``, or a step loop): one cuDNN buffer per layer."""
        o = self.dropouts
        return o.layer_dropout > 0 or o.may_need_step_loop or (self.generator is not None and o.dropout > 0)

    def _runs_per_layer(self) -> bool:
        return self._per_layer_layout() or _accel.step_loop_forced()

    def _step_loop_now(self) -> bool:
        return self.dropouts.needs_step_loop(self.training) or _accel.step_loop_forced()

    def layer_weights(self, layer: int) -> list[Tensor]:
        """The flat weights of one layer, all directions (torch's order)."""
        nw, D = self.weights_per_direction, self.num_directions
        return self._flat_weights[layer * D * nw : (layer + 1) * D * nw]

    # ------------------------------------------------------------------ cuDNN buffers
    def flatten_parameters(self) -> None:
        """As torch's, but with one cuDNN buffer per layer when the module runs per layer."""
        if not self._per_layer_layout():
            return super().flatten_parameters()
        fw = self._flat_weights
        if len(fw) != len(self._flat_weights_names) or not all(isinstance(w, Tensor) for w in fw):
            return
        dtype = fw[0].dtype
        if any(w.dtype != dtype or not w.is_cuda or not torch.backends.cudnn.is_acceptable(w) for w in fw):
            return
        if len({w.data_ptr() for w in fw}) != len(fw) or not torch._use_cudnn_rnn_flatten_weight():
            return
        import torch.backends.cudnn.rnn as cudnn_rnn

        nw, D = self.weights_per_direction, self.num_directions
        with torch.cuda.device_of(fw[0]), torch.no_grad():
            for layer in range(self.num_layers):
                torch._cudnn_rnn_flatten_weight(
                    self.layer_weights(layer), nw,
                    self.input_size if layer == 0 else self.state_size * D,
                    cudnn_rnn.get_cudnn_mode(self.mode), self.hidden_size, self.proj_size, 1,
                    self.batch_first, bool(self.bidirectional),
                )

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        """``output, h_n`` (``output, (h_n, c_n)`` for the LSTM) exactly as torch returns them."""
        self._update_flat_weights()
        packed = isinstance(input, nn.utils.rnn.PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            is_batched = True
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"{self.mode.split('_')[0]}: Expected input to be 2D or 3D, got {input.dim()}D instead"
                )
            batch_sizes = sorted_indices = unsorted_indices = None
            is_batched = input.dim() == 3
            x = input if is_batched else input.unsqueeze(0 if self.batch_first else 1)
        self.check_input(x, batch_sizes)
        if batch_sizes is None and x.shape[1 if self.batch_first else 0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")  # torch's, every path
        hx = check_hidden(self, x, batch_sizes, hx, is_batched, sorted_indices)
        if self._runs_per_layer():
            out, hidden = PerLayerRun(self, batch_sizes).run(x, hx)
        else:
            out, hidden = self._forward_fused(x, batch_sizes, hx)
        is_lstm = self.mode == "LSTM"
        if packed:
            out = nn.utils.rnn.PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            if is_lstm:
                return out, tuple(permute(s, unsorted_indices) for s in hidden)
            return out, permute(hidden, unsorted_indices)
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
            hidden = tuple(s.squeeze(1) for s in hidden) if is_lstm else hidden.squeeze(1)
        return out, hidden

    def _forward_fused(self, x: Tensor, batch_sizes, hx):
        o = self.dropouts
        weights = self.effective_weights(self._flat_weights)
        x = locked(self, x, o.input_dropout, batch_sizes, self.batch_first)
        out, hidden = fused_call(self, x, batch_sizes, hx, weights, self.num_layers, o.dropout, self.batch_first)
        return locked(self, out, o.output_dropout, batch_sizes, self.batch_first), hidden

    def effective_weights(self, weights: list[Tensor]) -> list[Tensor]:
        """Each ``W_hh`` weight-dropped and/or column-masked (batch-mode recurrent dropout)."""
        o = self.dropouts
        if not self.training or not (o.weight_dropout > 0 or o.batch_recurrent):
            return weights
        new = list(weights)
        for k in range(1, len(weights), self.weights_per_direction):
            w = weights[k]
            if o.weight_dropout > 0:
                w = weight_drop.drop_weight(w, o.weight_dropout, generator=self.generator)
            if o.batch_recurrent:
                m = weight_drop.recurrent_column_mask(
                    w.shape[1], GATES[self.mode], o.recurrent_dropout, o.untied_masks,
                    generator=self.generator, device=w.device, dtype=w.dtype,
                )
                w = weight_drop.apply_column_mask(w, m)
            new[k] = w
        return weight_drop.rebuild_flat_buffer(weights, new)

    # ------------------------------------------------------------------ interop
    def to_torch(self) -> nn.RNNBase:
        """The plain ``torch.nn`` layer of the same configuration, sharing these parameters.

        Exact for every use that does not draw seqdrop's masks (with no option on, or in
        evaluation without zoneout); raises :class:`~seqdrop.errors.SeqdropError` otherwise,
        so nothing is lost silently. Useful for tools that match ``torch.nn`` classes exactly,
        e.g. ``torch.ao.quantization.quantize_dynamic(layer.eval().to_torch(), {nn.LSTM})``.
        """
        lost = {k: v for k, v in self.dropouts.active().items() if k != "dropout"}
        if self.generator is not None and self.dropout > 0:
            lost["generator"] = self.generator
        if lost and (self.training or self.dropouts.has_zoneout):
            raise SeqdropError(
                f"{type(self).__name__}.to_torch(): torch.nn.{_TORCH[self.mode].__name__} has no "
                f"{sorted(lost)}; call .eval() first (zoneout changes evaluation too), or keep the "
                "seqdrop layer"
            )
        kwargs: dict[str, Any] = dict(num_layers=self.num_layers, bias=self.bias, batch_first=self.batch_first,
                                      dropout=self.dropout, bidirectional=self.bidirectional)
        if self.mode == "LSTM":
            kwargs["proj_size"] = self.proj_size
        elif self.mode.startswith("RNN"):
            kwargs["nonlinearity"] = self.mode[4:].lower()
        with torch.device("meta"):
            plain = _TORCH[self.mode](self.input_size, self.hidden_size, **kwargs)
        for name in self._flat_weights_names:
            setattr(plain, name, getattr(self, name))
        return plain.train(self.training)

    @property
    def qconfig(self) -> Any:
        """Quantization config, as ``torch.ao.quantization`` sets it; warns when read unset.

        ``torch.ao.quantization.quantize_dynamic`` matches modules by *exact* class, so it
        leaves a seqdrop layer in float even when asked for ``{nn.LSTM}``; reading this
        attribute is how it looks, so that is where we say so (once per layer).
        """
        if "_qconfig" in self.__dict__:
            return self.__dict__["_qconfig"]
        warnings.warn(
            f"torch.ao.quantization matches exact classes and leaves seqdrop.nn.{type(self).__name__} "
            "unquantized; quantize layer.eval().to_torch() (same weights) instead",
            UserWarning, stacklevel=2,
        )
        raise AttributeError("qconfig")

    @qconfig.setter
    def qconfig(self, value: Any) -> None:
        self.__dict__["_qconfig"] = value

    @qconfig.deleter
    def qconfig(self) -> None:
        self.__dict__.pop("_qconfig", None)

    def __prepare_scriptable__(self) -> nn.RNNBase:
        """``torch.jit.script`` compiles the equivalent ``torch.nn`` layer (see :meth:`to_torch`).

        Only without seqdrop's options: TorchScript cannot compile their masks and step
        loop, so scripting such a layer raises an error that names the alternatives.
        """
        if self.dropouts.active().keys() - {"dropout"} or (self.generator is not None and self.dropout > 0):
            raise SeqdropError(
                f"torch.jit.script cannot compile {type(self).__name__} with dropout options "
                f"{self.dropouts.active()}; use torch.jit.trace (e.g. in eval mode) or torch.compile"
            )
        return self.to_torch()

    def extra_repr(self) -> str:
        s = super().extra_repr()  # torch's: sizes, num_layers, bias, batch_first, dropout, ...
        extra = self.dropouts.extra_repr(skip=("dropout",))
        return f"{s}, {extra}" if extra else s
