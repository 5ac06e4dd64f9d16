"""PyTorch's generic module tests (``test/test_modules.py``) on the ``ModuleInfo`` samples.

The samples (constructor arguments, inputs, no-batch-dim reference functions, error inputs)
are imported at run time from the installed wheel's
``torch/testing/_internal/common_modules.py``, so they follow the torch version under test.
Each test runs in training and evaluation mode, like upstream's ``@modules`` decorator.

To fit the CI budget the gradient checks run on a stride of the samples (they vary bias,
batch_first, bidirectional, nonlinearity and proj_size in a product, so a stride still
covers every value), in training mode only, with ``gradcheck(fast_mode=True)`` (a random
projection of the Jacobian: still fails on a wrong gradient); ``SEQDROP_CONFORMANCE_FULL=1``
runs upstream's full checks on every sample in both modes.
"""
from __future__ import annotations

import io
import os
from copy import deepcopy

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck
from torch.testing._internal.common_modules import ModuleErrorEnum, module_db
from torch.testing._internal.common_utils import freeze_rng_state
from torch.utils._pytree import tree_flatten, tree_map

from rnn_conformance import OPTION_IMPLS, cuda, upstream

_MOD = "test_modules.py::TestModule::"
INFOS = {m.module_cls.__name__: m for m in module_db if m.module_cls in (torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM)}
NAMES = sorted(INFOS)
FULL = os.environ.get("SEQDROP_CONFORMANCE_FULL") == "1"
pytestmark = pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])


def samples(name, *, dtype=torch.double, requires_grad=False, training=True, device="cpu", stride=1):
    info = INFOS[name]
    got = info.module_inputs_func(info, device=device, dtype=dtype, requires_grad=requires_grad, training=training)
    return got if FULL else got[::stride]


def build(impl, name, sample, training, device="cpu", dtype=torch.double):
    args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
    m = impl.cls(name)(*args, **kwargs)
    m.to(device).to(dtype)
    m.train(training)
    return m


def forward(m, sample):
    return m(*sample.forward_input.args, **sample.forward_input.kwargs)


@upstream(_MOD + "test_forward")
@pytest.mark.parametrize("name", NAMES)
def test_forward(impl, name, training):
    for dtype in (torch.float, torch.double):
        for s in samples(name, dtype=dtype, training=training):
            with freeze_rng_state():
                m = build(impl, name, s, training, dtype=dtype)
                out = forward(m, s)
                if s.reference_fn is not None:
                    ref = s.reference_fn(m, *s.forward_input.args, **s.forward_input.kwargs)
                    torch.testing.assert_close(out, ref)
                {torch.float: m.float, torch.double: m.double}[dtype]()
                forward(m, s)
                for p in m.parameters():
                    assert p.dtype == dtype and p.device.type == "cpu"


@pytest.mark.parametrize("option_impl", OPTION_IMPLS, ids=[i.name for i in OPTION_IMPLS])
@pytest.mark.parametrize("name", NAMES)
def test_forward_equals_torch_with_option_at_zero(option_impl, name, training):
    """Each seqdrop option at p = 0 gives torch's outputs on every sample (seqdrop's own test)."""
    for s in samples(name, training=training):
        args, kwargs = s.constructor_input.args, s.constructor_input.kwargs
        ref = getattr(torch.nn, name)(*args, **kwargs).double().train(training)
        m = build(option_impl, name, s, training)
        m.load_state_dict(ref.state_dict())
        torch.testing.assert_close(forward(m, s), forward(ref, s), rtol=0, atol=0)


@upstream(_MOD + "test_factory_kwargs")
@pytest.mark.parametrize("name", NAMES)
def test_factory_kwargs(impl, name, training):
    for s in samples(name, training=training):
        args, kwargs = s.constructor_input.args, s.constructor_input.kwargs
        m = impl.cls(name)(*args, **kwargs, device="cpu", dtype=torch.double).train(training)
        for pname, p in m.named_parameters():
            assert p.device == torch.device("cpu") and p.dtype == torch.double, pname


@upstream(_MOD + "test_repr")
@pytest.mark.parametrize("name", NAMES)
def test_repr(impl, name, training):
    for s in samples(name, training=training):
        m = build(impl, name, s, training)
        assert repr(m) and str(m)


@upstream(_MOD + "test_pickle")
@pytest.mark.parametrize("name", NAMES)
def test_pickle(impl, name, training):
    for s in samples(name, training=training, stride=2):
        with freeze_rng_state():
            m = build(impl, name, s, training)
            out = forward(m, s)
            buf = io.BytesIO()
            torch.save(m, buf)
            buf.seek(0)
            copy = torch.load(buf, weights_only=False)
            torch.testing.assert_close(forward(copy, s), out)


def _non_contiguous(obj):
    def make(t):
        if not isinstance(t, torch.Tensor) or t.dim() == 0:
            return t
        out = torch.repeat_interleave(t, 2, dim=-1)[..., ::2].detach()
        out.requires_grad = t.requires_grad
        return out

    return tree_map(make, obj)


def _grads(obj):
    return [t.grad for t in tree_flatten(obj)[0] if isinstance(t, torch.Tensor) and t.requires_grad]


def _backward(out, grad_out):
    for o, g in zip(tree_flatten(out)[0], tree_flatten(grad_out)[0]):
        if o.requires_grad:
            o.backward(g, retain_graph=True)


@upstream(_MOD + "test_non_contiguous_tensors")
@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_tensors(impl, name, training):
    for s in samples(name, requires_grad=True, training=training, stride=2):
        inputs = (s.forward_input.args, s.forward_input.kwargs)
        m = build(impl, name, s, training)
        with freeze_rng_state():
            default_out = m(*inputs[0], **inputs[1])
            grad_out = tree_map(lambda o: o.detach().clone().normal_(), default_out)
            _backward(default_out, grad_out)
        default_in_grads = deepcopy(_grads(inputs))
        default_param_grads = deepcopy([p.grad for p in m.parameters()])
        for (args, kwargs), g in [(inputs, grad_out), (_non_contiguous(inputs), grad_out),
                                  (inputs, _non_contiguous(grad_out)),
                                  (_non_contiguous(inputs), _non_contiguous(grad_out))]:
            for t in tree_flatten((args, kwargs))[0] + list(m.parameters()):
                if isinstance(t, torch.Tensor):
                    t.grad = None
            with freeze_rng_state():
                out = m(*args, **kwargs)
                _backward(out, g)
            torch.testing.assert_close(out, default_out)
            torch.testing.assert_close(_grads((args, kwargs)), default_in_grads, atol=1e-4, rtol=0)
            torch.testing.assert_close([p.grad for p in m.parameters()], default_param_grads)


def _gradient_check(impl, name, training, check, stride):
    if not (training or FULL):
        pytest.skip("eval-mode gradient checks run with SEQDROP_CONFORMANCE_FULL=1")
    for s in samples(name, requires_grad=True, training=training, stride=stride):
        m = build(impl, name, s, training)
        args = s.forward_input.args
        params = tuple(m.parameters())
        flat, spec = tree_flatten(args + params)

        def fn(*flat_inputs):
            new_args = torch.utils._pytree.tree_unflatten(list(flat_inputs), spec)[: len(args)]
            with freeze_rng_state():
                return tree_flatten(m(*new_args))[0]

        assert check(fn, flat, check_batched_grad=False, fast_mode=not FULL)


@upstream(_MOD + "test_grad")
@pytest.mark.parametrize("name", NAMES)
def test_grad(impl, name, training):
    _gradient_check(impl, name, training, gradcheck, stride=8)


@upstream(_MOD + "test_gradgrad")
@pytest.mark.parametrize("name", NAMES)
def test_gradgrad(impl, name, training):
    _gradient_check(impl, name, training, gradgradcheck, stride=16)


@upstream(_MOD + "test_memory_format")
@pytest.mark.parametrize("name", NAMES)
def test_memory_format(impl, name, training):
    # RNN inputs are 2-D/3-D: upstream only checks contiguous/preserve formats for them
    for s in samples(name, requires_grad=True, training=training, stride=2):
        m = build(impl, name, s, training)
        with freeze_rng_state():
            desired = forward(m, s)
        for fmt in (torch.preserve_format, torch.contiguous_format):
            m.to(memory_format=fmt)
            with freeze_rng_state():
                out = forward(m, s)
            torch.testing.assert_close(out, desired)
            assert all(t.is_contiguous() for t in tree_flatten(out)[0])


@upstream(_MOD + "test_if_train_and_eval_modes_differ")
@pytest.mark.parametrize("name", NAMES)
def test_if_train_and_eval_modes_differ(impl, name, training):
    assert INFOS[name].train_and_eval_differ
    for s in samples(name, training=training, stride=4):
        m = build(impl, name, s, training)
        delattr(m, "training")
        try:
            forward(m, s)
        except AttributeError as e:  # reading `training` is allowed: the flag says modes differ
            assert "'training'" in str(e)


def _assert_equal(a, b, msg=None):
    assert a == b, msg


@upstream(_MOD + "test_device_ctx_init")
@pytest.mark.parametrize("name", NAMES)
def test_device_ctx_init(impl, name, training):
    from torch._subclasses.meta_utils import assert_metadata_eq

    for s in samples(name, dtype=torch.float, training=training):
        args, kwargs = s.constructor_input.args, s.constructor_input.kwargs
        m_cpu = impl.cls(name)(*args, **kwargs)
        with torch.device("meta"):
            m_meta = impl.cls(name)(*args, **kwargs)
        for p_meta, p_cpu in zip(m_meta.parameters(), m_cpu.parameters()):
            assert p_meta.is_meta
            assert_metadata_eq(_assert_equal, p_meta, p_cpu)


@upstream(_MOD + "test_errors")
@pytest.mark.parametrize("name", NAMES)
def test_errors(impl, name, training):
    info = INFOS[name]
    for err in info.module_error_inputs_func(info, device="cpu", dtype=torch.float, requires_grad=False,
                                             training=training):
        s = err.module_error_input
        args, kwargs = s.constructor_input.args, s.constructor_input.kwargs
        if err.error_on == ModuleErrorEnum.CONSTRUCTION_ERROR:
            with pytest.raises(err.error_type, match=err.error_regex):
                impl.cls(name)(*args, **kwargs)
        else:
            m = impl.cls(name)(*args, **kwargs)
            with pytest.raises(err.error_type, match=err.error_regex):
                forward(m, s)


@upstream(_MOD + "test_multiple_device_transfer")
@cuda
@pytest.mark.parametrize("name", NAMES)
def test_multiple_device_transfer(impl, name, training):
    for s_dev, s_cpu in zip(samples(name, device="cuda", training=training),
                            samples(name, device="cpu", training=training)):
        m = build(impl, name, s_dev, training, device="cuda")
        forward(m, s_dev)
        assert all(p.is_cuda for p in m.parameters())
        m.cpu()
        forward(m, s_cpu)
        assert not any(p.is_cuda for p in m.parameters())
        m.cuda()
        forward(m, s_dev)
        assert all(p.is_cuda for p in m.parameters())


@upstream(_MOD + "test_cpu_gpu_parity")
@cuda
@pytest.mark.parametrize("name", NAMES)
def test_cpu_gpu_parity(impl, name, training):
    if not training and torch.backends.cudnn.enabled:
        pytest.skip("cuDNN RNNs have no backward in eval mode (upstream skips this case too)")
    for s in samples(name, requires_grad=True, training=training):
        cpu = build(impl, name, s, training)
        gpu = deepcopy(cpu).cuda()
        args_cpu = s.forward_input.args
        args_gpu = tree_map(lambda t: t.detach().cuda().requires_grad_(t.requires_grad), args_cpu)
        out_cpu, out_gpu = cpu(*args_cpu), gpu(*args_gpu)
        torch.testing.assert_close(out_gpu, tree_map(lambda t: t.cuda(), out_cpu), atol=4e-4, rtol=0)
        for oc, og in zip(tree_flatten(out_cpu)[0], tree_flatten(out_gpu)[0]):
            g = torch.randn_like(oc)
            oc.backward(g, retain_graph=True)
            og.backward(g.cuda(), retain_graph=True)
        for pc, pg in zip(cpu.parameters(), gpu.parameters()):
            torch.testing.assert_close(pg.grad.cpu(), pc.grad, atol=4e-4, rtol=0)
