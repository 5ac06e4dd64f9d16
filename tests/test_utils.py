import subprocess
import sys

import torch

from seqdrop.utils import seed_everything

# A sweep worker imports the trials (seqdrop.nn) and seeds; neither may load torch's compiler
# stack (torch._dynamo, torch._inductor, sympy): that costs seconds in every fresh process.
# Deterministic kernels must stay on, and Inductor, if loaded later, must be deterministic.
_CHILD = """
import sys, torch
import seqdrop.trials
from seqdrop.utils import seed_everything
seed_everything(3)
assert torch.are_deterministic_algorithms_enabled(), "deterministic kernels are off"
assert torch.is_deterministic_algorithms_warn_only_enabled(), "warn_only is off"
loaded = sorted(m for m in sys.modules if m.startswith(("torch._inductor", "torch._dynamo")))
assert not loaded, f"importing the trials or seeding loaded {loaded[:5]}"
import torch._inductor.config as inductor_config
assert inductor_config.deterministic, "Inductor, loaded after seeding, is not deterministic"
"""


def test_seeding_does_not_import_the_compiler_and_stays_deterministic():
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_step_loop_switch_carries_torch_compilers_constant_mark():
    from seqdrop.nn._accel import _assume_constant_result

    def ours() -> bool:
        return False

    def torchs() -> bool:
        return False

    _assume_constant_result(ours)
    torch.compiler.assume_constant_result(torchs)
    assert vars(ours) == vars(torchs) != {}


def test_same_seed_same_numbers():
    gen = seed_everything(11)
    a = (torch.rand(3), torch.rand(2, generator=gen))
    gen = seed_everything(11)
    b = (torch.rand(3), torch.rand(2, generator=gen))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
