"""``rackimg emulator``: a local cloud in the foreground that other processes can use."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

from rackimg_driver.emulator.seed import SNAPSHOT_ACTIVE_ID

from .conftest import RUN_TIMEOUT, SEEDED_IDS, Rackimg, ids_of, read_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulator_serves_other_processes_and_stops_on_ctrl_c(rackimg: Rackimg, tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "emulator.sqlite"
    process = subprocess.Popen(
        [rackimg.script, "emulator", "--port", str(port), "--state", str(state)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=rackimg.env,
        cwd=rackimg.cwd,
    )
    try:
        banner = read_until(process, b"Press Ctrl-C to stop.").decode()
        url = f"http://127.0.0.1:{port}"
        assert banner.splitlines()[0] == f"rackimg emulator (rackspace) listening on {url}"
        assert f"  state: {state}" in banner.splitlines()

        client = rackimg.with_options("--auth-url", url, "--user", "demo", "--api-key", "demo-api-key")
        deleted = client("images", "delete", "--yes", SNAPSHOT_ACTIVE_ID)
        listed = client("images", "list", "--brief")

        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert deleted.returncode == 0, deleted.stderr
    assert listed.returncode == 0, listed.stderr
    assert ids_of(listed.stdout) == [i for i in SEEDED_IDS if i != SNAPSHOT_ACTIVE_ID]
    assert process.returncode in (0, 130)
    assert b"Traceback" not in stderr
    assert stdout.decode().rstrip().splitlines()[-1] == "stopping"
    assert state.read_bytes().startswith(b"SQLite format 3\x00")
