"""JupyterLab in a real browser (headless chromium): every notebook opens with the project's
kernel and unmodified, saving it changes nothing on disk, and it runs with the smoke
parameters without an error.

A private ``jupyter lab`` runs on a free loopback port with a token, with its own settings
(autosave off) and only the project's kernels; it is stopped by its PID. Its root,
build/browser/lab, holds copies of the committed notebooks, their py:percent pairs and
jupytext.toml. Screenshots: build/browser/screens/lab/.
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
import yaml

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

INJECT_JS = r"""
const done = arguments[arguments.length - 1];
const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
kernel.requestExecute({code: arguments[0], silent: false}).done
  .then(msg => done(msg.content.status === "ok" ? "ok" : msg.content.evalue), e => done(String(e)));
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


def _wait_cell(driver, path: str, index: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE_JS, path)
        cell = state["cells"][index]
        if any(o["output_type"] == "error" for o in cell["outputs"]):
            return state
        if state["status"] == "idle" and cell["count"]:
            return state
        time.sleep(0.3)
    pytest.fail(f"{path}: cell {index} still running after {timeout:.0f} s")


def _run_cell(driver, path: str, index: int, timeout: float = 120) -> dict:
    """Run cell ``index`` alone (Lab's "Run Selected Cell and Do not Advance")."""
    assert driver.execute_async_script(COMMAND_JS, "notebook:run-cell", index) == "ok"
    return _wait_cell(driver, path, index, timeout)


def _screenshot(driver, name: str) -> None:
    shots = BUILD / "screens" / "lab"
    shots.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(shots / f"{slug(name)}.png"))


def _smoke_code(nb: Path) -> str:
    """The smoke parameters as papermill would inject them."""
    from papermill.translators import PythonTranslator

    profile = yaml.safe_load((ROOT / "params" / "smoke.yaml").read_text()) or {}
    return PythonTranslator.codify(profile.get(nb.stem) or {})


def _parameter_cells(nb: Path) -> tuple[int, int]:
    """(index of the ``parameters`` cell, index of the code cell that validates it)."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: one cell tagged 'parameters'"
    validation = next(i for i in range(tagged[0] + 1, len(cells)) if cells[i]["cell_type"] == "code")
    return tagged[0], validation


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_lab_opens_saves_unchanged_and_runs_smoke(nb, lab, driver):
    """Open: the project's kernel, not modified. Save: no file changes. Run with the smoke
    parameters the parameters cell, its validation and the next code cell (every cell with
    SEQDROP_LAB_RUN_ALL=1): no error."""
    path = f"pristine/{nb.name}"
    state = _open(driver, lab, path)
    assert state["kernel"] == KERNEL_DISPLAY_NAME, f"{nb.name} opened with kernel {state['kernel']!r}"
    assert not state["dirty"], f"{nb.name} is marked modified right after opening"
    assert driver.execute_async_script(COMMAND_JS, "docmanager:save", None) == "ok"
    for original in (nb, nb.with_suffix(".py")):
        saved = lab[2] / "pristine" / original.name
        assert saved.read_bytes() == original.read_bytes(), (
            f"saving {nb.name} in JupyterLab rewrote {original.name}"
        )

    params, validation = _parameter_cells(nb)
    cells = state["cells"]
    for index in range(params + 1):
        if cells[index]["type"] == "code":
            state = _run_cell(driver, path, index)
    status = driver.execute_async_script(INJECT_JS, _smoke_code(nb))
    assert status == "ok", f"{nb.name}: injecting the smoke parameters failed: {status}"
    code = [i for i in range(validation, len(cells)) if cells[i]["type"] == "code"]
    for index in code if RUN_ALL else code[:2]:
        state = _run_cell(driver, path, index, timeout=600 if RUN_ALL else 120)
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in state["cells"][index]["outputs"]
                  if o["output_type"] == "error"]
        assert not errors, f"{nb.name}, cell {index}: {errors}"
    _screenshot(driver, nb.stem)
