"""Give every notebook the kernel metadata JupyterLab writes on save, so that opening and
saving a notebook changes nothing: ``kernelspec`` of the kernel ``make`` installs
(``python3``, "Python 3 (seqdrop)") and the ``language_info`` that kernel reports.

Usage (``make sync`` runs it): ``python book/kernel_metadata.py notebooks/*.ipynb``.
Writes a notebook only when its metadata changes; prints the files it changed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

KERNEL_NAME = "python3"


def kernel_metadata(name: str = KERNEL_NAME) -> dict:
    """``kernelspec`` and ``language_info`` as the installed kernel ``name`` reports them."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {
        "kernelspec": {"display_name": spec.display_name, "language": spec.language, "name": name},
        "language_info": dict(IPythonKernel.language_info),
    }


def apply(paths: list[Path], metadata: dict) -> list[Path]:
    changed = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        if all(nb.metadata.get(k) == v for k, v in metadata.items()):
            continue
        nb.metadata.update(metadata)
        nbformat.write(nb, str(path))
        changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python book/kernel_metadata.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for path in apply([Path(a) for a in argv], kernel_metadata()):
        print(f"kernel metadata set: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
