"""JupyterLab in a real browser (headless chromium): every notebook opens cleanly, runs with
the smoke parameters, and opening + saving it changes nothing on disk.

A private ``jupyter lab`` runs on a free loopback port with a token, with its own settings
(autosave off) and only the project's kernels; it is stopped by its PID. Root folder
build/browser/lab: ``pristine/`` holds copies of the committed notebooks, their py:percent
pairs and jupytext.toml; ``smoke/`` the notebooks with the smoke parameters injected
(``seqdrop prepare``). Screenshots: build/browser/screens/lab/.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser_support import BUILD, ROOT, new_driver, notebooks, require_browser, slug

pytestmark = pytest.mark.browser

NOTEBOOKS = notebooks()
IDS = [nb.stem for nb in NOTEBOOKS]
KERNEL_DISPLAY_NAME = "Python 3 (seqdrop)"
RUN_ALL = os.environ.get("SEQDROP_LAB_RUN_ALL", "") not in ("", "0")

STATE_JS = r"""
const path = arguments[0];
const app = window.jupyterapp;
if (!app || !app.shell) return null;
const w = app.shell.currentWidget;
if (!w || !w.context || w.context.path !== path || !w.context.isReady) return null;
const s = w.sessionContext;
const kernel = s && s.session && s.session.kernel;
const cells = w.content.widgets.map(c => ({
  type: c.model.type,
  count: c.model.type === "code" ? c.model.executionCount : null,
  outputs: c.model.type === "code" ? c.model.outputs.toJSON() : [],
}));
return {dirty: w.context.model.dirty, kernel: s.kernelDisplayName,
        status: kernel ? kernel.status : null, cells: cells};
"""

COMMAND_JS = r"""
const done = arguments[arguments.length - 1];
const [command, active] = [arguments[0], arguments[1]];
const w = window.jupyterapp.shell.currentWidget;
if (active !== null) { w.content.activeCellIndex = active; }
window.jupyterapp.commands.execute(command).then(() => done("ok"), e => done(String(e)));
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare_root(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    pristine = root / "pristine"
    pristine.mkdir(parents=True)
    stamp = time.time()
    for nb in NOTEBOOKS:
        for src in (nb, nb.with_suffix(".py")):
            if src.exists():
                shutil.copyfile(src, pristine / src.name)
                os.utime(pristine / src.name, (stamp, stamp))
    shutil.copyfile(ROOT / "jupytext.toml", pristine / "jupytext.toml")
    seqdrop = Path(sys.executable).parent / "seqdrop"
    subprocess.run([str(seqdrop), "prepare", "--profile", "smoke", "--out", str(root / "smoke")],
                   check=True, capture_output=True, text=True)
    settings = root / ".settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"autosave": false}')


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab():
    """(base URL, token, root) of a private JupyterLab; stopped by PID afterwards."""
    require_browser()
    root = BUILD / "lab"
    _prepare_root(root)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".config"),
               JUPYTER_DATA_DIR=str(root / ".data"),  # no user-level kernels: the venv's only
               JUPYTERLAB_SETTINGS_DIR=str(root / ".settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"))
    log = root / "server.log"
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]  # no PyPI queries
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI runs as root
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/api/status?token={token}", proc, log)
        yield base, token, root
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def driver(lab):
    drv = new_driver()
    drv.set_script_timeout(120)
    yield drv
    drv.quit()


def _open(driver, lab, path: str, timeout: float = 120) -> dict:
    """Open ``path`` in Lab and wait until its kernel is idle; return the notebook's state."""
    base, token, _ = lab
    driver.get(f"{base}/lab/tree/{path}?token={token}&reset")
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE_JS, path)
        if state and state["status"] == "idle":
            time.sleep(1.0)  # let late metadata updates (kernel info) arrive
            return driver.execute_script(STATE_JS, path)
        time.sleep(0.5)
    pytest.fail(f"{path}: kernel not idle after {timeout:.0f} s (last state {state})")


def _run(driver, path: str, command: str, active: int | None, last: int, timeout: float) -> dict:
    assert driver.execute_async_script(COMMAND_JS, command, active) == "ok"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE_JS, path)
        code = [c for c in state["cells"][: last + 1] if c["type"] == "code"]
        errors = [o for c in state["cells"] for o in c["outputs"] if o["output_type"] == "error"]
        if errors or (state["status"] == "idle" and all(c["count"] for c in code)):
            return state
        time.sleep(0.5)
    pytest.fail(f"{path}: cells still running after {timeout:.0f} s")


def _screenshot(driver, name: str) -> None:
    shots = BUILD / "screens" / "lab"
    shots.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(shots / f"{slug(name)}.png"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_lab_opens_and_saves_without_changes(nb, lab, driver):
    path = f"pristine/{nb.name}"
    state = _open(driver, lab, path)
    assert state["kernel"] == KERNEL_DISPLAY_NAME, f"{nb.name} opened with kernel {state['kernel']!r}"
    assert not state["dirty"], f"{nb.name} is marked modified right after opening"
    assert driver.execute_async_script(COMMAND_JS, "docmanager:save", None) == "ok"
    _screenshot(driver, f"{nb.stem}-opened")
    root = lab[2]
    for original in (nb, nb.with_suffix(".py")):
        saved = root / "pristine" / original.name
        assert saved.read_bytes() == original.read_bytes(), (
            f"saving {nb.name} in JupyterLab rewrote {original.name}"
        )


def _validation_cell(prepared: Path) -> int:
    """Index of the cell that validates the parameters (after the injected ones)."""
    cells = json.loads(prepared.read_text(encoding="utf-8"))["cells"]
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    last = max(i for i, t in enumerate(tags) if {"parameters", "injected-parameters"} & set(t))
    return next(i for i in range(last + 1, len(cells)) if cells[i]["cell_type"] == "code")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_lab_runs_notebook_with_smoke_parameters(nb, lab, driver):
    """Run the parameter cells, their validation and the next code cell (all cells with
    SEQDROP_LAB_RUN_ALL=1); the kernel is the project's and no cell errs."""
    path = f"smoke/{nb.name}"
    state = _open(driver, lab, path)
    assert state["kernel"] == KERNEL_DISPLAY_NAME
    assert not state["dirty"], f"{nb.name} is marked modified before execution"
    cells = state["cells"]
    if RUN_ALL:
        last = len(cells) - 1
        state = _run(driver, path, "notebook:run-all-cells", None, last, timeout=600)
    else:
        validation = _validation_cell(lab[2] / path)
        last = next((i for i in range(validation + 1, len(cells)) if cells[i]["type"] == "code"),
                    validation)
        state = _run(driver, path, "notebook:run-all-above", last + 1 if last + 1 < len(cells)
                     else None, last, timeout=180)
    _screenshot(driver, f"{nb.stem}-smoke")
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in state["cells"] for o in c["outputs"]
              if o["output_type"] == "error"]
    assert not errors, f"{nb.name}: {errors}"
    assert all(c["count"] for c in state["cells"][: last + 1] if c["type"] == "code")
