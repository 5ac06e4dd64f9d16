"""Which upstream PyTorch RNN tests the conformance suite ports, excludes, or expects to fail.

``UPSTREAM_TESTS`` lists every RNN/LSTM/GRU test of PyTorch's ``test/test_nn.py`` and every
generic ``TestModule`` test of ``test/test_modules.py`` that runs on the ``ModuleInfo``
samples of ``torch.nn.RNN/GRU/LSTM`` (``torch/testing/_internal/common_modules.py``).
Each is either ported (a test in this folder names it with ``@upstream(...)``; checked by
``test_registry.py``) or listed in :data:`EXCLUDED` with the reason.

:data:`PENDING` maps a ported test to the issue-8 item that makes it fail on today's
``seqdrop.nn`` (those tests are marked ``xfail(strict=True)`` for the seqdrop variants,
so fixing the item turns them into unexpected passes that must be un-listed here).
"""
from __future__ import annotations

_NN = "test_nn.py::TestNN::"
_DEV = "test_nn.py::TestNNDeviceType::"
_MOD = "test_modules.py::TestModule::"

UPSTREAM_TESTS: tuple[str, ...] = (
    # test_nn.py, TestNN
    _NN + "test_RNN_cell",
    _NN + "test_RNN_cell_forward_zero_hidden_size",
    _NN + "test_RNN_cell_no_broadcasting",
    _NN + "test_LSTM_cell",
    _NN + "test_LSTM_cell_forward_input_size",
    _NN + "test_LSTM_cell_forward_hidden_size",
    _NN + "test_pack_sequence_batch_sizes_throw",
    _NN + "test_cudnn_rnn_dropout_states_device",
    _NN + "test_cudnn_forward_exception",
    _NN + "test_cudnn_weight_format",
    _NN + "test_cudnn_weight_tying",
    _NN + "test_rnn_args_check",
    _NN + "test_projections_lstm_args_check",
    _NN + "test_rnn_check_device",
    _NN + "test_projections_lstm_check_device",
    _NN + "test_rnn_initial_hidden_state",
    _NN + "test_projections_lstm_initial_hidden_state",
    _NN + "test_projections_errors_on_gru_and_rnn",
    _NN + "test_RNN_cpu_vs_cudnn_no_dropout",
    _NN + "test_RNN_cpu_vs_cudnn_with_dropout",
    _NN + "test_RNN_cudnn_weight_norm",
    _NN + "test_partial_flat_weights",
    _NN + "test_RNN_dropout",
    _NN + "test_error_RNN_seq_len_zero",
    _NN + "test_RNN_input_size_zero",
    _NN + "test_RNN_dropout_state",
    _NN + "test_RNN_change_dropout",
    # test_nn.py, TestNNDeviceType
    _DEV + "test_save_lstm_compatibility",
    _DEV + "test_rnn_fused",
    _DEV + "test_rnn_retain_variables",
    _DEV + "test_lstmcell_backward_only_one_output_grad",
    _DEV + "test_LSTM_grad_and_gradgrad",
    _DEV + "test_GRU_grad_and_gradgrad",
    _DEV + "test_LSTM_differentiable_backward_using_oneDNN",
    _DEV + "test_variable_sequence",
    # test_modules.py on the ModuleInfo samples of RNN, GRU and LSTM
    _MOD + "test_forward",
    _MOD + "test_factory_kwargs",
    _MOD + "test_multiple_device_transfer",
    _MOD + "test_repr",
    _MOD + "test_pickle",
    _MOD + "test_check_inplace",
    _MOD + "test_non_contiguous_tensors",
    _MOD + "test_grad",
    _MOD + "test_gradgrad",
    _MOD + "test_cpu_gpu_parity",
    _MOD + "test_memory_format",
    _MOD + "test_if_train_and_eval_modes_differ",
    _MOD + "test_device_ctx_init",
    _MOD + "test_errors",
)

_CELL = (
    "tests torch.nn.RNNCell/GRUCell/LSTMCell; seqdrop replaces the sequence layers "
    "RNN/GRU/LSTM only and has no cell classes (use torch's cells, or "
    "seqdrop.nn.reference for cells with mask sites)"
)

#: upstream test -> why it is deliberately not run against seqdrop
EXCLUDED: dict[str, str] = {
    _NN + "test_RNN_cell": _CELL,
    _NN + "test_RNN_cell_forward_zero_hidden_size": _CELL,
    _NN + "test_RNN_cell_no_broadcasting": _CELL,
    _NN + "test_LSTM_cell": _CELL,
    _NN + "test_LSTM_cell_forward_input_size": _CELL,
    _NN + "test_LSTM_cell_forward_hidden_size": _CELL,
    _DEV + "test_lstmcell_backward_only_one_output_grad": _CELL,
    _MOD + "test_check_inplace": (
        "runs only for modules with an `inplace` argument; torch's RNN/GRU/LSTM have none, "
        "so upstream never runs it on them either"
    ),
}

#: ``file::test[id]`` glob -> the issue-8 item that makes the test fail on today's seqdrop.nn
#: (first match wins); those tests are ``xfail(strict=True)`` until the item is fixed.
PENDING: dict[str, int] = {}
