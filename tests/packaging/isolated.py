"""Fresh virtual environments that see only what was installed into them.

Every command runs with a clean environment: no PYTHONPATH, no pip configuration of this
machine (so ``--no-index`` really means offline), the venv's ``bin`` first on PATH and the
test runner's own ``bin`` taken off it, and a working directory outside the repository.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The repository: artifacts are built from it, and nothing in a venv may import from it.
REPO = Path(__file__).resolve().parents[2]

#: Seconds for a pip install (an sdist builds a wheel first); other commands get less.
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 120

# Variables that would let a venv see this process's packages, pip settings or test options.
_DROPPED_PREFIXES = ("PYTHON", "PIP_", "PYTEST_", "VIRTUAL_ENV", "CONDA_", "RACKIMG_", "LIBCLOUD_", "TOX_")


def clean_environ(bin_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for a process of the venv whose scripts are in ``bin_dir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_DROPPED_PREFIXES)}
    runner_bin = str(Path(sys.executable).parent)
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != runner_bin]
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def check_outside_repo(path: Path) -> Path:
    """``path``, after making sure it is not inside the repository."""
    resolved = path.resolve()
    assert not resolved.is_relative_to(REPO), f"{resolved} is inside the repository {REPO}"
    return resolved


class Venv:
    """A virtual environment made with ``python -m venv``, and commands run in it."""

    def __init__(self, path: Path) -> None:
        self.path = check_outside_repo(path)
        self.bin = self.path / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / "python"

    @classmethod
    def create(cls, path: Path) -> Venv:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=RUN_TIMEOUT)
        return cls(path)

    @property
    def site_packages(self) -> Path:
        (found,) = self.path.glob("lib/python3.*/site-packages")
        return found

    def script(self, name: str) -> Path:
        return self.bin / name

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return clean_environ(self.bin, extra)

    def run(
        self,
        command: Sequence[str | Path],
        cwd: Path,
        env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
        expect: int | None = 0,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` (a script of this venv by its path, or ``python``); check its exit code."""
        done = subprocess.run(
            [str(part) for part in command],
            cwd=check_outside_repo(cwd),
            env=self.environ(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if expect is not None:
            assert done.returncode == expect, (
                f"{command} exited {done.returncode}, expected {expect}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done

    def run_python(self, code: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
        """Run ``code`` with the venv's interpreter; its stdout."""
        return self.run([self.python, "-c", code], cwd, env).stdout

    def pip_install(self, cwd: Path, wheelhouse: Path, *requirements: str | Path) -> None:
        """Install offline: from the given files and the wheelhouse, never from an index."""
        self.run(
            [self.python, "-m", "pip", "install", "--no-index", "--find-links", wheelhouse, *requirements],
            cwd,
            timeout=INSTALL_TIMEOUT,
        )


class Emulator:
    """``rackimg emulator --port 0`` in the background, in a venv; stopped with SIGINT."""

    _LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")

    def __init__(self, venv: Venv, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [str(venv.script("rackimg")), "emulator", "--port", "0"],
            cwd=check_outside_repo(cwd),
            env=venv.environ(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.port = 0
        self._wait_for_banner()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next_line(self, deadline: float) -> str | None:
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"the emulator said nothing more in time; so far: {self.output}") from None
        if line is not None:
            self.output.append(line)
        return line

    def _wait_for_banner(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            line = self._next_line(deadline)
            if line is None:
                raise AssertionError(f"the emulator exited before it was ready: {self.output}")
            listening = self._LISTENING.search(line)
            if listening:
                self.url, self.port = listening.group(1), int(listening.group(2))
            if line.startswith("Press Ctrl-C to stop.") and self.port:
                return

    def stop(self) -> None:
        """Stop it as a user would, with Ctrl-C; it must say so and exit 0."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the emulator ignored SIGINT: {self.output}") from None
        deadline = time.monotonic() + 5
        while self._next_line(deadline) is not None:
            pass
        assert self.process.returncode == 0, self.output
        assert self.output[-1] == "stopping\n", self.output
