"""The recurrent dropout options: one frozen, validated definition and its documentation table.

:class:`RecurrentDropout` names every dropout site of a recurrent network. Layers
(:class:`seqdrop.nn.LSTM`, ``GRU``, ``RNN``) take the *layer* fields as torch-style keyword
arguments and build one of these from them; the models of :mod:`seqdrop.models` take the
whole object as ``dropouts=``. Every field is off by default, and every field carries its
documentation in :data:`FIELD_DOCS`, from which :func:`options_table` builds the one table of
options (printed below, embedded in the README and in ``help(seqdrop.nn)``).

Probabilities are drop probabilities in ``[0, 1)``; masks use inverted scaling ``1/(1-p)``
except zoneout (a unit keeps its previous value, no rescaling). ``p = 1`` is accepted where
it means something (:data:`CLOSED_AT_ONE`): torch's ``dropout`` (zero between layers) and
zoneout (the state stays at its initial value); with inverted scaling it is undefined.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .._validation import ParameterError, check_float, check_probability

__all__ = ["RecurrentDropout", "FieldDoc", "FIELD_DOCS", "options_table", "LAYER", "MODEL"]

LAYER = "layer"  #: fields a seqdrop.nn layer applies (its keyword arguments)
MODEL = "model"  #: fields only the models of seqdrop.models apply
RECURRENT_DROPOUT_MODES = ("sequence", "batch")
#: options that accept p = 1. ``dropout``: torch accepts it (the activations between layers
#: are zeroed in training). ``zoneout``/``zoneout_cell``: every unit keeps its previous value
#: (the state never leaves h_0 / c_0), a legitimate limit since zoneout does not rescale.
#: Every other probability stays in [0, 1): its mask is scaled by 1/(1 - p).
CLOSED_AT_ONE = ("dropout", "zoneout", "zoneout_cell")


class FieldDoc(NamedTuple):
    """The documentation of one :class:`RecurrentDropout` field (one row of the table)."""

    scope: str  # LAYER or MODEL
    paper: str
    step_loop: str  # whether the option runs the step loop
    doc: str


# One entry per field: "name | scope | paper | step loop", then the indented description.
_DOCS = """
dropout | layer | Zaremba et al. 2014; torch | no
    between stacked layers, a fresh mask every time step (torch's ``dropout``)
input_dropout | layer | Gal & Ghahramani 2016 | no
    locked mask (one per sequence) on the layer's input
layer_dropout | layer | Gal & Ghahramani 2016; AWD ``dropouth`` | no
    locked mask between stacked layers (exclusive with ``dropout``)
output_dropout | layer | Gal & Ghahramani 2016 | no
    locked mask on the last layer's output
recurrent_dropout | layer | Gal & Ghahramani 2016 | yes (``sequence`` mode)
    mask on ``h_{t-1}`` where it enters ``W_hh h_{t-1}`` (the GRU carry keeps the
    undropped state)
recurrent_dropout_mode | layer | Gal & Ghahramani 2016; Merity et al. 2017 | no (``batch``)
    ``'sequence'``: one recurrent mask per sequence; ``'batch'``: one mask shared by the
    batch, run as column weight drop ``W_hh diag(m)`` in the fused kernel
untied_masks | layer | Gal & Ghahramani 2016 (untied) | as ``recurrent_dropout``
    one recurrent mask per gate (LSTM, GRU)
update_dropout | layer | Semeniuta et al. 2016 | yes
    mask on the candidate update: LSTM ``g_t``, GRU ``n_t``, RNN pre-activation
update_dropout_per_step | layer | Semeniuta et al. 2016 | yes
    a fresh update mask every step (default: one per sequence)
weight_dropout | layer | Merity et al. 2017 (DropConnect on ``W_hh``) | no
    element mask on ``W_hh``, one per forward call
zoneout | layer | Krueger et al. 2017 | yes (also at eval)
    each unit of ``h`` keeps its previous value with this probability; eval uses the
    expectation
zoneout_cell | layer | Krueger et al. 2017 | yes (also at eval)
    zoneout on the LSTM cell state ``c``
embedding_dropout | model | Gal & Ghahramani 2016 §4; Merity et al. 2017 | no
    word-type dropout: whole rows of the embedding matrix (language model only)
model_input_dropout | model | Zaremba et al. 2014; AWD ``dropouti`` | no
    on the recurrent stack's input (embedding output, classifier features)
model_layer_dropout | model | Zaremba et al. 2014; AWD ``dropouth`` | no
    between the model's recurrent layers
model_output_dropout | model | Zaremba et al. 2014; AWD ``dropout`` | no
    on the recurrent stack's output, before the decoder / classifier head
locked | model | Gal & Ghahramani 2016 vs Zaremba et al. 2014 | no
    ``model_*`` sites: ``True`` one mask per sequence, ``False`` a fresh mask every step
"""


def _parse_docs(text: str) -> dict[str, FieldDoc]:
    docs: dict[str, FieldDoc] = {}
    name = ""
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            head = docs[name]
            docs[name] = head._replace(doc=f"{head.doc} {line.strip()}".strip())
        else:
            name, scope, paper, loop = (part.strip() for part in line.split("|"))
            docs[name] = FieldDoc(scope, paper, loop, "")
    return docs


FIELD_DOCS = _parse_docs(_DOCS)


@dataclass(frozen=True)
class RecurrentDropout:
    """Every dropout site of a recurrent network, validated once (all off by default).

    Layer fields are the keyword arguments of :class:`seqdrop.nn.LSTM`/``GRU``/``RNN`` and
    mean the same thing wherever they appear. Model fields are applied by
    :class:`seqdrop.models.RNNLanguageModel` and :class:`seqdrop.models.SequenceClassifier`
    around their recurrent stack; a model rejects the layer fields that act at the same
    places (``dropout``, ``input_dropout``, ``layer_dropout``, ``output_dropout``) so that
    each site has one name. See :func:`options_table` for the table of fields.

    Invalid values raise :class:`seqdrop.ParameterError` (a ``ValueError``) naming
    the field. Flags such as ``untied_masks`` with their probability at 0 are accepted and
    do nothing, so a sweep can reach p = 0.

    Example::

        >>> RecurrentDropout(recurrent_dropout=0.25, zoneout=0.1).active()
        {'recurrent_dropout': 0.25, 'zoneout': 0.1}
    """

    dropout: float = 0.0
    input_dropout: float = 0.0
    layer_dropout: float = 0.0
    output_dropout: float = 0.0
    recurrent_dropout: float = 0.0
    recurrent_dropout_mode: str = 'sequence'
    untied_masks: bool = False
    update_dropout: float = 0.0
    update_dropout_per_step: bool = False
    weight_dropout: float = 0.0
    zoneout: float = 0.0
    zoneout_cell: float = 0.0
    embedding_dropout: float = 0.0
    model_input_dropout: float = 0.0
    model_layer_dropout: float = 0.0
    model_output_dropout: float = 0.0
    locked: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.default is False:
                if not isinstance(value, bool):
                    raise ParameterError(f"{f.name} must be a bool, got {value!r}")
            elif f.name in CLOSED_AT_ONE:
                object.__setattr__(self, f.name, check_float(f.name, value, 0.0, 1.0))
            elif isinstance(f.default, float):
                object.__setattr__(self, f.name, check_probability(f.name, value))
        if self.recurrent_dropout_mode not in RECURRENT_DROPOUT_MODES:
            raise ParameterError(
                f"recurrent_dropout_mode must be 'sequence' (one mask per sequence, step loop) "
                f"or 'batch' (one mask shared by the batch, fused), got {self.recurrent_dropout_mode!r}"
            )
        if self.dropout > 0 and self.layer_dropout > 0:
            raise ParameterError(
                "dropout and layer_dropout are both dropout between layers (per-step vs locked "
                "masks); set only one of them"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def coerce(cls, value: RecurrentDropout | Mapping[str, Any] | None) -> RecurrentDropout:
        """``value`` itself, ``RecurrentDropout(**value)`` for a mapping, the default for None."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(cls.field_names()))
            if unknown:
                raise ParameterError(f"unknown dropout option(s) {unknown}; known: {list(cls.field_names())}")
            return cls(**value)
        raise ParameterError(f"dropouts must be a RecurrentDropout or a dict, got {type(value).__name__}")

    @classmethod
    def field_names(cls, scope: str | None = None) -> tuple[str, ...]:
        """Names of the fields (of one ``scope``, :data:`LAYER` or :data:`MODEL`, if given)."""
        return tuple(f.name for f in dataclasses.fields(cls) if scope in (None, FIELD_DOCS[f.name].scope))

    def replace(self, **changes: Any) -> RecurrentDropout:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ queries
    def active(self) -> dict[str, Any]:
        """The fields that differ from their default (what is switched on), in field order."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }

    def to_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    def layer_kwargs(self) -> dict[str, Any]:
        """The layer fields as keyword arguments for a :mod:`seqdrop.nn` layer."""
        return {name: getattr(self, name) for name in self.field_names(LAYER)}

    def check_cell(self, mode: str) -> None:
        """Reject options a cell does not have (``mode``: torch's "LSTM", "GRU", "RNN_TANH"...)."""
        if mode != "LSTM" and self.zoneout_cell > 0:
            raise ParameterError(
                f"zoneout_cell applies to the LSTM cell state c only; {mode.split('_')[0]} has no "
                "cell state (use zoneout)"
            )
        if mode.startswith("RNN") and self.untied_masks:
            raise ParameterError(
                "untied_masks=True needs a gated cell (LSTM or GRU); the Elman RNN has a single gate"
            )

    @property
    def sequence_recurrent(self) -> bool:
        """Gal's recurrent mask drawn per sequence (needs the step loop in training)."""
        return self.recurrent_dropout > 0 and self.recurrent_dropout_mode == "sequence"

    @property
    def batch_recurrent(self) -> bool:
        """Gal's recurrent mask shared by the batch (column weight drop, fused kernel)."""
        return self.recurrent_dropout > 0 and self.recurrent_dropout_mode == "batch"

    @property
    def has_zoneout(self) -> bool:
        return self.zoneout > 0 or self.zoneout_cell > 0

    @property
    def may_need_step_loop(self) -> bool:
        """Whether some mode (training or eval) runs the step loop."""
        return self.sequence_recurrent or self.update_dropout > 0 or self.has_zoneout

    def needs_step_loop(self, training: bool) -> bool:
        """Whether the recurrence itself changes, so the fused kernels cannot run it.

        Gal's per-sequence recurrent mask and Semeniuta's update mask change it only in
        training; zoneout also at evaluation (the expectation ``p·old + (1-p)·new``).
        """
        return self.has_zoneout or (training and self.may_need_step_loop)

    def extra_repr(self, skip: tuple[str, ...] = ()) -> str:
        """``name=value`` for every active field not in ``skip`` (for ``Module.extra_repr``)."""
        return ", ".join(f"{k}={v!r}" for k, v in self.active().items() if k not in skip)

    def __repr__(self) -> str:
        return f"RecurrentDropout({self.extra_repr()})"


if list(FIELD_DOCS) != [f.name for f in dataclasses.fields(RecurrentDropout)]:  # pragma: no cover
    raise ImportError("seqdrop.nn.options: _DOCS must document every RecurrentDropout field, in order")


def options_table() -> str:
    """The documentation table of :class:`RecurrentDropout` (Markdown), built from its fields."""
    rows = [
        "| option | scope | default | what it drops | paper | step loop |",
        "|---|---|---|---|---|---|",
    ]
    for f in dataclasses.fields(RecurrentDropout):
        d = FIELD_DOCS[f.name]
        doc, paper, loop = (s.replace("``", "`") for s in (d.doc, d.paper, d.step_loop))
        rows.append(f"| `{f.name}` | {d.scope} | `{f.default!r}` | {doc} | {paper} | {loop} |")
    return "\n".join(rows)


__doc__ = (__doc__ or "") + "\nOptions\n-------\n\n" + options_table() + "\n"
