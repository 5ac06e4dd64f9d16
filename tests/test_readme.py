"""The README's Python example runs as written."""
import re

from seqdrop.paths import project_root


def test_readme_python_blocks_run():
    text = (project_root() / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python example"
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)
    out, mean, std = namespace["out"], namespace["mean"], namespace["std"]
    assert out.shape == mean.shape == std.shape == (35, 20, 650)
    assert (std > 0).any(), "MC dropout must vary across samples"
