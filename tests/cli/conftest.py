"""Fixtures for the ``rackimg`` command tests: the installed console script, run as a subprocess
with a clean environment against local clouds on 127.0.0.1."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from rackimg_driver.emulator import LocalCloud
from rackimg_driver.emulator.seed import (
    ARCH_LEGACY_ID,
    BACKUP_ACTIVE_ID,
    CENTOS_STREAM_9_ID,
    DB_SERVER_ID,
    DEBIAN_12_ID,
    FEDORA_39_ID,
    LEGACY_SNAPSHOT_ID,
    PROTECTED_IMAGE_ID,
    SNAPSHOT_ACTIVE_ID,
    SNAPSHOT_DEACTIVATED_ID,
    SNAPSHOT_DELETED_ID,
    SNAPSHOT_IMPORTING_ID,
    SNAPSHOT_KILLED_ID,
    SNAPSHOT_PENDING_DELETE_ID,
    SNAPSHOT_QUEUED_ID,
    SNAPSHOT_SAVING_ID,
    UBUNTU_2004_ID,
    UBUNTU_2204_ID,
    WEB_SERVER_ID,
    WINDOWS_2019_ID,
)

_T = TypeVar("_T")

#: Seconds any one run of the command may take before the test fails.
RUN_TIMEOUT = 30
#: How long new snapshots stay SAVING in the clouds of these tests.
SAVING_SECONDS = 1.0


@dataclass(frozen=True)
class SeededImage:
    """What the command shows of one seeded image, written out independently of the emulator."""

    id: str
    name: str
    state: str
    type: str
    progress: str
    server: str


#: The images tenant 123456 sees on a fresh local cloud, newest first (the order of a listing).
SEEDED_IMAGES = [
    SeededImage(SNAPSHOT_SAVING_ID, "db01-saving", "SAVING", "SNAPSHOT", "50%", DB_SERVER_ID),
    SeededImage(SNAPSHOT_QUEUED_ID, "web01-queued", "SAVING", "SNAPSHOT", "25%", WEB_SERVER_ID),
    SeededImage(BACKUP_ACTIVE_ID, "db01-daily-backup", "ACTIVE", "SNAPSHOT", "100%", DB_SERVER_ID),
    SeededImage(SNAPSHOT_ACTIVE_ID, "web01-2024-03-01", "ACTIVE", "SNAPSHOT", "100%", WEB_SERVER_ID),
    SeededImage(SNAPSHOT_IMPORTING_ID, "imported-appliance", "UNKNOWN", "SNAPSHOT", "0%", WEB_SERVER_ID),
    SeededImage(SNAPSHOT_KILLED_ID, "db01-failed", "ERROR", "SNAPSHOT", "0%", DB_SERVER_ID),
    SeededImage(SNAPSHOT_PENDING_DELETE_ID, "web01-pending-delete", "DELETED", "SNAPSHOT", "0%", WEB_SERVER_ID),
    SeededImage(SNAPSHOT_DELETED_ID, "web01-deleted", "DELETED", "SNAPSHOT", "0%", WEB_SERVER_ID),
    SeededImage(UBUNTU_2204_ID, "Ubuntu 22.04 LTS (Jammy Jellyfish) (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(DEBIAN_12_ID, "Debian 12 (Bookworm) (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(FEDORA_39_ID, "Fedora 39 (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(CENTOS_STREAM_9_ID, "CentOS Stream 9 (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(PROTECTED_IMAGE_ID, "golden-web-protected", "ACTIVE", "SNAPSHOT", "100%", WEB_SERVER_ID),
    SeededImage(WINDOWS_2019_ID, "Windows Server 2019 Standard", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(SNAPSHOT_DEACTIVATED_ID, "web01-deactivated", "UNKNOWN", "SNAPSHOT", "0%", WEB_SERVER_ID),
    SeededImage(UBUNTU_2004_ID, "Ubuntu 20.04 LTS (Focal Fossa) (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
    SeededImage(LEGACY_SNAPSHOT_ID, "web01-legacy", "ACTIVE", "SNAPSHOT", "100%", WEB_SERVER_ID),
    SeededImage(ARCH_LEGACY_ID, "Arch 2015.7 (PVHVM)", "ACTIVE", "BASE", "100%", "-"),
]
SEEDED_IDS = [image.id for image in SEEDED_IMAGES]


def find_rackimg_script() -> str:
    """The installed ``rackimg`` console script: next to this interpreter, else on PATH."""
    script = shutil.which("rackimg", path=os.path.dirname(sys.executable)) or shutil.which("rackimg")
    if script is None:
        pytest.fail(
            f"the rackimg console script is neither next to {sys.executable} nor on PATH:"
            " install the package (pip install -e .) before running tests/cli",
            pytrace=False,
        )
    return script


def clean_env(home: Path) -> dict[str, str]:
    """os.environ without RACKIMG_* / OS_* / LIBCLOUD_* / PYTEST_* settings, with every home in ``home``."""
    prefixes = ("RACKIMG_", "OS_", "LIBCLOUD_", "PYTEST_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    for name in ("home", "config", "data", "rackimg-data"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home / "home"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        RACKIMG_DATA_DIR=str(home / "rackimg-data"),
        COLUMNS="100",
    )
    return env


@dataclass
class Rackimg:
    """Runs the installed ``rackimg`` script; ``options`` go before every command's own arguments."""

    script: str
    env: dict[str, str]
    cwd: Path
    options: list[str] = field(default_factory=list)

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.script, *self.options, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
        )

    def with_options(self, *options: str) -> Rackimg:
        return Rackimg(self.script, self.env, self.cwd, [*self.options, *options])


def rackspace_options(cloud: LocalCloud) -> list[str]:
    return ["--auth-url", cloud.url, "--user", cloud.username, "--api-key", cloud.api_key]


def openstack_options(cloud: LocalCloud) -> list[str]:
    return [
        "--cloud", "openstack", "--auth-url", cloud.url, "--user", cloud.username,
        "--password", cloud.password, "--tenant", "demo", "--auth-version", "3.x_password",
    ]  # fmt: skip


def run_together(*calls: Callable[[], _T]) -> list[_T]:
    """Run independent commands at the same time (each is mostly interpreter start-up)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stderr.splitlines()


def table(text: str) -> list[dict[str, str]]:
    """Parse the command's table output: columns start where the header's words start."""
    lines = text.splitlines()
    header = lines[0]
    names = header.split()
    starts = [header.index(f" {name}") + 1 if i else 0 for i, name in enumerate(names)]
    ends = [*starts[1:], None]
    return [
        {name: line[start:end].strip() for name, start, end in zip(names, starts, ends, strict=True)}
        for line in lines[1:]
    ]


@pytest.fixture(scope="session")
def rackimg_script() -> str:
    return find_rackimg_script()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path / "env")


@pytest.fixture
def rackimg(rackimg_script: str, cli_env: dict[str, str], tmp_path: Path) -> Rackimg:
    """The command with no credentials at all."""
    return Rackimg(rackimg_script, cli_env, tmp_path)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    """A fresh rackspace-dialect local cloud."""
    with LocalCloud("rackspace", saving_seconds=SAVING_SECONDS) as local:
        yield local


@pytest.fixture
def openstack_cloud() -> Iterator[LocalCloud]:
    """A fresh openstack-dialect local cloud."""
    with LocalCloud("openstack", saving_seconds=SAVING_SECONDS) as local:
        yield local


@pytest.fixture
def rs(rackimg: Rackimg, cloud: LocalCloud) -> Rackimg:
    """The command logged in to :func:`cloud` with options."""
    return rackimg.with_options(*rackspace_options(cloud))


@pytest.fixture
def osk(rackimg: Rackimg, openstack_cloud: LocalCloud) -> Rackimg:
    """The command logged in to :func:`openstack_cloud` with options."""
    return rackimg.with_options(*openstack_options(openstack_cloud))


def ids_of(output: str) -> list[str]:
    """Image ids of a table (the first column)."""
    return [row["ID"] for row in table(output)]


def read_terminal(controller: int, process: subprocess.Popen[bytes], timeout: float = RUN_TIMEOUT) -> str:
    """Everything the process writes to the terminal, until it exits and closes it."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    else:
        process.kill()
        process.wait()
        pytest.fail(f"rackimg did not finish in {timeout} s: {b''.join(chunks)!r}")
    process.wait(timeout=timeout)
    return b"".join(chunks).decode()


def stderr_on_terminal(rackimg: Rackimg, *args: str) -> tuple[int, str, str]:
    """``rackimg ARGS`` with stderr on a terminal: its exit code, its stdout and the terminal's text."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [rackimg.script, *rackimg.options, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=rackimg.env,
            cwd=rackimg.cwd,
        )
        os.close(terminal)
        terminal = -1
        screen = read_terminal(controller, process)
        stdout = process.stdout.read().decode() if process.stdout else ""
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return process.returncode, stdout, screen


# -- rackimg emulator in the foreground ---------------------------------------------------------


def read_until(process: subprocess.Popen[bytes], marker: bytes, timeout: float = RUN_TIMEOUT) -> bytes:
    """What the process writes to stdout up to and including ``marker``."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {timeout} s: {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, f"the emulator exited early: {seen!r} (exit {process.wait()})"
            seen += chunk
    return seen


def start_emulator(rackimg: Rackimg, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``rackimg emulator`` on a free port, and its banner (up to "Press Ctrl-C to stop.")."""
    process = subprocess.Popen(
        [rackimg.script, "emulator", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=rackimg.env,
        cwd=rackimg.cwd,
    )
    return process, read_until(process, b"Press Ctrl-C to stop.").decode()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a terminal sends it; killed if it does not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
