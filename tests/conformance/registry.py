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
PENDING: dict[str, int] = {
    # 1: second-order gradients through the step loop
    "test_upstream_nn_device.py::test_grad_and_gradgrad[seqdrop-loop-*": 1,
    "test_upstream_nn_device.py::test_LSTM_differentiable_backward_using_oneDNN[seqdrop-loop]": 1,
    "test_module_info.py::test_gradgrad[seqdrop-loop-*": 1,
    **{f"test_double_backward.py::test_gradgradcheck_every_option_set[*-{s}-train]": 1
       for s in ("recurrent", "recurrent-untied", "update", "update-per-step", "zoneout", "zoneout-cell")},
    "test_double_backward.py::test_gradgradcheck_every_option_set[*-zoneout*-eval]": 1,
    "test_double_backward.py::test_gradient_penalty_equals_torch_on_the_step_loop*": 1,
    # 2: proj_size (torch's LSTM ModuleInfo samples all pass it, 0 or 2)
    "test_upstream_nn.py::test_forward_exception[seqdrop*-lstm_proj]": 2,
    "test_upstream_nn.py::test_projections_*[seqdrop*": 2,
    "test_upstream_nn_device.py::test_variable_sequence[seqdrop*": 2,
    **{f"test_module_info.py::{t}[seqdrop*-LSTM-*]": 2 for t in (
        "test_forward", "test_factory_kwargs", "test_repr", "test_pickle", "test_non_contiguous_tensors",
        "test_grad", "test_gradgrad", "test_memory_format", "test_if_train_and_eval_modes_differ",
        "test_device_ctx_init", "test_multiple_device_transfer", "test_cpu_gpu_parity",
    )},
    "test_module_info.py::test_forward_equals_torch_with_option_at_zero[LSTM-*": 2,
    # 3: empty batch backward on the step loop
    "test_upstream_nn.py::test_RNN_input_size_zero[seqdrop-loop-*": 3,
    **{f"test_edge_cases.py::test_empty_batch_forward_and_backward[{c}]": 3 for c in (
        "*-recurrent-train", "GRU-recurrent-untied-train", "*-update*-train", "*-zoneout*")},
    # 4: dropout=1
    "test_edge_cases.py::test_dropout_one_accepted_and_equal_to_torch*": 4,
    "test_upstream_nn.py::test_RNN_dropout[seqdrop*-1]": 4,
    "test_upstream_nn.py::test_RNN_change_dropout[seqdrop*-True]": 9,
    # 5: not subclasses of the torch classes
    "test_interop.py::test_isinstance_of_the_torch_class*": 5,
    "test_interop.py::test_quantize_dynamic_replaces_a_plain_layer*": 5,
    # 6: scripting; compile / trace regressions of the accelerator settings and step loop
    "test_interop.py::test_jit_script_works_or_names_the_alternatives": 6,
    "test_interop.py::test_jit_trace[step-loop]": 6,
    "test_interop.py::test_torch_compile_fullgraph_on_the_fused_path*": 6,
    # 8: zero-length sequences on the step loop; torch's wording
    "test_upstream_nn.py::test_error_RNN_seq_len_zero[seqdrop-loop-*": 8,
    **{f"test_edge_cases.py::test_zero_length_sequence_raises_like_torch[{c}]": 8 for c in (
        "*-recurrent-train", "*-recurrent-untied-train", "*-update*-train", "*-zoneout*")},
    "test_edge_cases.py::test_lstm_hidden_size_error_worded_as_torch*": 8,
    "test_edge_cases.py::test_unknown_nonlinearity_error_worded_as_torch": 8,
    "test_edge_cases.py::test_rnn_repr_as_torch[relu]": 8,
}
