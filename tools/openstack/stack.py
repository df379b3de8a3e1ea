#!/usr/bin/env python3
"""Bring up real Keystone, Glance and Nova (API only) on 127.0.0.1 for integration tests.

Usage (see README.md in this directory):

    python tools/openstack/stack.py install
    python tools/openstack/stack.py up --state-dir /tmp/os-state --bulk 300
    python tools/openstack/stack.py status --state-dir /tmp/os-state
    python tools/openstack/stack.py down --state-dir /tmp/os-state

Needs only the standard library and ``requests`` (for ``up``/``status``).  The
services themselves run from one virtualenv each under the cache directory
(``$RACKIMG_OPENSTACK_CACHE``, default ``~/.cache/rackimg-openstack``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What gets installed; one venv per service, each with gunicorn.
PINS = {
    "keystone": ["keystone==30.0.0"],
    "glance": ["glance==33.0.0"],
    "nova": ["nova==34.0.0"],
}
GUNICORN_PIN = "gunicorn==27.0.1"
SERVICES = ("keystone", "glance", "nova")
PYTHON_WANTED = "3.12"

REGION = "RegionOne"
ADMIN_PASSWORD = "admin-secret"
SERVICE_PASSWORD = "service-secret"
USERS = {
    # name: (password, project, role)
    "demo": ("demo-secret", "demo", "member"),
    "other": ("other-secret", "other", "member"),
}


def log(msg: str) -> None:
    print(f"[stack {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg: str, code: int = 1) -> None:
    log("ERROR: " + msg)
    sys.exit(code)


# --------------------------------------------------------------------------------------
# paths


def cache_dir() -> Path:
    env = os.environ.get("RACKIMG_OPENSTACK_CACHE")
    return Path(env).expanduser() if env else Path("~/.cache/rackimg-openstack").expanduser()


def venv_dir(service: str) -> Path:
    return cache_dir() / "venvs" / service


def venv_bin(service: str, exe: str) -> Path:
    return venv_dir(service) / "bin" / exe


def default_state_dir() -> Path:
    return cache_dir() / "state"


def constraints_file(service: str) -> Path:
    return HERE / f"constraints-{service}.txt"


# --------------------------------------------------------------------------------------
# install


def find_python(explicit: str | None) -> str:
    """The interpreter used to create the service venvs (not the one running this script)."""
    cands: list[str] = []
    if explicit:
        cands.append(explicit)
    if os.environ.get("RACKIMG_OPENSTACK_PYTHON"):
        cands.append(os.environ["RACKIMG_OPENSTACK_PYTHON"])
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    roots.append(os.path.expanduser("~/.pyenv"))
    for root in roots:
        pattern = os.path.join(root, "versions", PYTHON_WANTED + ".*", "bin", "python" + PYTHON_WANTED)
        cands += sorted(glob.glob(pattern), reverse=True)
    for name in ("python" + PYTHON_WANTED,):
        p = shutil.which(name)
        if p:
            cands.append(p)
    if sys.version_info[:2] == tuple(int(x) for x in PYTHON_WANTED.split(".")):
        cands.append(sys.executable)
    for c in cands:
        if c and os.path.exists(c):
            return c
    die(f"no Python {PYTHON_WANTED} found; pass --python or set RACKIMG_OPENSTACK_PYTHON")
    raise AssertionError


def python_version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"], check=True, capture_output=True, text=True
    ).stdout.strip()


def stamp_for(service: str, pyver: str) -> str:
    h = hashlib.sha256()
    h.update(pyver.encode())
    h.update("\n".join(PINS[service] + [GUNICORN_PIN]).encode())
    cf = constraints_file(service)
    h.update(cf.read_bytes() if cf.exists() else b"<no constraints>")
    return h.hexdigest()


def install_one(service: str, python: str, pyver: str, force: bool, freeze: bool) -> tuple[str, float, str]:
    t0 = time.monotonic()
    vdir = venv_dir(service)
    stamp_path = vdir / ".rackimg-stamp"
    want = stamp_for(service, pyver)
    if (
        not force
        and stamp_path.exists()
        and stamp_path.read_text().strip() == want
        and venv_bin(service, "gunicorn").exists()
    ):
        return service, time.monotonic() - t0, "reused"
    if vdir.exists():
        shutil.rmtree(vdir)
    vdir.parent.mkdir(parents=True, exist_ok=True)
    logf = cache_dir() / f"install-{service}.log"
    with open(logf, "w") as out:

        def run(cmd: list[str]) -> None:
            out.write("$ " + " ".join(cmd) + "\n")
            out.flush()
            r = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
            if r.returncode:
                out.flush()
                tail = log_tail(logf)
                raise RuntimeError(f"{service}: command failed ({r.returncode}): {' '.join(cmd)}\n{tail}")

        run([python, "-m", "venv", str(vdir)])
        pip = [str(venv_bin(service, "python")), "-m", "pip", "--disable-pip-version-check"]
        cmd = [*pip, "install", "--prefer-binary"]
        cf = constraints_file(service)
        if cf.exists() and not freeze:
            cmd += ["-c", str(cf)]
        cmd += PINS[service] + [GUNICORN_PIN]
        run(cmd)
        if freeze or not cf.exists():
            r = subprocess.run(
                [*pip, "freeze", "--all", "--exclude", "pip"], capture_output=True, text=True, check=True
            )
            lines = sorted((ln for ln in r.stdout.splitlines() if ln and not ln.startswith("-e ")), key=str.lower)
            cf.write_text(
                f"# pip freeze of the {service} venv (Python {pyver}); "
                "regenerate with: stack.py install --refreeze\n" + "\n".join(lines) + "\n"
            )
    stamp_path.write_text(stamp_for(service, pyver) + "\n")
    return service, time.monotonic() - t0, "installed"


def cmd_install(args: argparse.Namespace) -> int:
    python = find_python(args.python)
    pyver = python_version(python)
    log(f"cache {cache_dir()}, python {python} ({pyver})")
    cache_dir().mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    failed = False
    # pip is mostly waiting on downloads and unpacking; three at once is faster than in turn.
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
        futs = [ex.submit(install_one, s, python, pyver, args.force or args.refreeze, args.refreeze) for s in SERVICES]
        for f in futs:
            try:
                s, dt, what = f.result()
                log(f"{s}: {what} in {dt:.1f}s")
            except Exception as e:
                failed = True
                log(f"ERROR: {e}")
    if not failed:
        ensure_templates()
    log(f"install took {time.monotonic() - t0:.1f}s")
    return 1 if failed else 0


def ensure_installed() -> None:
    """The venvs exist and match the pins and constraints files (else: run 'install')."""
    bad = []
    for s in SERVICES:
        cfg = venv_dir(s) / "pyvenv.cfg"
        stamp = venv_dir(s) / ".rackimg-stamp"
        if not (venv_bin(s, "gunicorn").exists() and cfg.exists() and stamp.exists()):
            bad.append(f"{s} (missing)")
            continue
        ver = next(
            (
                ln.split("=", 1)[1].strip()
                for ln in cfg.read_text().splitlines()
                if ln.split("=", 1)[0].strip() in ("version", "version_info")
            ),
            "",
        )
        if stamp.read_text().strip() != stamp_for(s, ver):
            bad.append(f"{s} (stale)")
    if bad:
        die(f"venvs under {cache_dir()}: {', '.join(bad)}; run '{Path(sys.argv[0]).name} install' first")


# --------------------------------------------------------------------------------------
# processes

STATE_MARKER = ".rackimg-openstack-state"


def run_dir(state: Path) -> Path:
    return state / "run"


def pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return st[st.rindex(")") + 2] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is pgid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2 :].split()
        # rest: state ppid pgrp ...
        if int(rest[2]) == pgid and rest[0] != "Z":
            out.append(int(d))
    return out


def reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_ours(pid: int, state: Path) -> bool:
    """The pid runs a gunicorn this tool started for this state dir (guards against pid reuse).

    gunicorn renames its processes when setproctitle is installed, so match on the working
    directory (we start each service in <state>/<service>) rather than on the command line.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return b"gunicorn" in cmd and Path(cwd).parent == state


def read_pids(state: Path) -> dict[str, int]:
    pids = {}
    for s in SERVICES:
        pf = run_dir(state) / f"{s}.pid"
        if pf.exists():
            with contextlib.suppress(ValueError):
                pids[s] = int(pf.read_text().strip())
    return pids


def stop_services(state: Path, timeout: float = 10.0) -> list[str]:
    """SIGTERM each started gunicorn's process group, wait, SIGKILL leftovers. Returns what was stopped."""
    pids = read_pids(state)
    groups = {}
    for s, pid in pids.items():
        if any(is_ours(m, state) for m in group_members(pid)):
            groups[s] = pid
    for pgid in groups.values():
        # the master (pid == pgid) stops its worker itself, within --graceful-timeout
        with contextlib.suppress(ProcessLookupError):
            os.kill(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pgid in groups.values():
            reap(pgid)
        if not any(group_members(pgid) for pgid in groups.values()):
            break
        time.sleep(0.1)
    else:
        for s, pgid in groups.items():
            if group_members(pgid):
                log(f"{s}: still running after {timeout:.0f}s, SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
        t = time.monotonic() + 5
        while time.monotonic() < t and any(group_members(g) for g in groups.values()):
            for pgid in groups.values():
                reap(pgid)
            time.sleep(0.1)
    for s in pids:
        (run_dir(state) / f"{s}.pid").unlink(missing_ok=True)
    return sorted(groups)


def log_tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(lines[-n:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------------------
# configuration


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def authtoken_section(kport: int, user: str, token_cache_time: int = 300) -> str:
    return f"""
        [keystone_authtoken]
        www_authenticate_uri = http://127.0.0.1:{kport}
        auth_url = http://127.0.0.1:{kport}
        auth_type = password
        project_name = service
        project_domain_id = default
        username = {user}
        password = {SERVICE_PASSWORD}
        user_domain_id = default
        token_cache_time = {token_cache_time}
        """


def write_configs(state: Path, ports: dict[str, int]) -> None:
    k, g = ports["keystone"], ports["glance"]
    ks = state / "keystone"
    write(
        ks / "keystone.conf",
        f"""
        [DEFAULT]
        debug = false
        [database]
        connection = sqlite:///{ks}/keystone.db
        sqlite_synchronous = false
        [token]
        provider = fernet
        expiration = 86400
        [fernet_tokens]
        key_repository = {ks}/fernet-keys
        [fernet_receipts]
        key_repository = {ks}/fernet-keys
        [credential]
        key_repository = {ks}/credential-keys
        [identity]
        # cheap bcrypt: these are throw-away test users
        password_hash_rounds = 4
        [cache]
        # in-process cache (one worker): token validation and catalog lookups get faster
        enabled = true
        backend = oslo_cache.dict
        """,
    )

    gl = state / "glance"
    write(
        gl / "glance-api.conf",
        f"""
        [DEFAULT]
        debug = false
        bind_host = 127.0.0.1
        bind_port = {g}
        enabled_backends = fs:file
        image_cache_dir = {gl}/cache
        worker_self_reference_url = http://127.0.0.1:{g}
        [database]
        connection = sqlite:///{gl}/glance.db
        sqlite_synchronous = false
        [glance_store]
        default_backend = fs
        [fs]
        filesystem_store_datadir = {gl}/images
        [os_glance_staging_store]
        filesystem_store_datadir = {gl}/staging
        [os_glance_tasks_store]
        filesystem_store_datadir = {gl}/tasks
        [oslo_concurrency]
        lock_path = {gl}/lock
        [paste_deploy]
        flavor = keystone
        """
        + authtoken_section(k, "glance"),
    )
    shutil.copy(venv_dir("glance") / "etc" / "glance" / "glance-api-paste.ini", gl / "glance-api-paste.ini")
    for d in ("cache", "images", "staging", "tasks", "lock"):
        (gl / d).mkdir(parents=True, exist_ok=True)

    nv = state / "nova"
    write(
        nv / "nova.conf",
        f"""
        [DEFAULT]
        debug = false
        host = rackimg-nova
        state_path = {nv}
        transport_url = fake://
        [api]
        auth_strategy = keystone
        [database]
        connection = sqlite:///{nv}/nova.db
        sqlite_synchronous = false
        [api_database]
        connection = sqlite:///{nv}/nova_api.db
        sqlite_synchronous = false
        [glance]
        api_servers = http://127.0.0.1:{g}
        [oslo_concurrency]
        lock_path = {nv}/lock
        [oslo_messaging_notifications]
        driver = noop
        """
        # keystonemiddleware caches a validated token (300 s by default) and does not look for
        # revocations meanwhile: a token revoked during a test would keep working. Nova checks
        # every time; Glance only ever sees tokens that Nova has just accepted.
        + authtoken_section(k, "nova", token_cache_time=-1),
    )
    shutil.copy(venv_dir("nova") / "etc" / "nova" / "api-paste.ini", nv / "api-paste.ini")
    (nv / "lock").mkdir(parents=True, exist_ok=True)

    # keystone and nova parse sys.argv with oslo.config at import time; gunicorn's argv would confuse them.
    apps = {
        "keystone": "keystone.wsgi.api",
        "glance": "glance.wsgi.api",
        "nova": "nova.wsgi.osapi_compute",
    }
    for s, mod in apps.items():
        write(
            state / s / f"rackimg_wsgi_{s}.py",
            f"""
            import sys
            sys.argv = sys.argv[:1]
            from {mod} import application  # noqa: E402,F401
            """,
        )


def service_env(state: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OS_KEYSTONE_CONFIG_DIR": str(state / "keystone"),
            "OS_GLANCE_CONFIG_DIR": str(state / "glance"),
            "OS_NOVA_CONFIG_DIR": str(state / "nova"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for k in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)
    return env


# The databases are built once per set of venvs (db syncs and keystone's bootstrap take ~30 s of
# CPU) and copied into each new state dir. Nothing in them depends on the state dir or the ports:
# keystone's catalog is filled over its API by 'up', and nova's cell0 mapping uses a path
# relative to nova's working directory (<state>/nova, for nova-manage and the API alike).
TEMPLATE_VERSION = "1"
TEMPLATE_DBS = {
    "keystone": ["keystone.db"],
    "glance": ["glance.db"],
    "nova": ["nova_api.db", "nova.db", "nova_cell0.db"],
}


def setup_commands(state: Path, service: str) -> list[list[str]]:
    if service == "keystone":
        km = [str(venv_bin("keystone", "keystone-manage")), "--config-file", str(state / "keystone" / "keystone.conf")]
        return [
            [*km, "db_sync"],
            # no endpoint URLs here: the identity service and endpoints are registered by 'up'
            [
                *km,
                "bootstrap",
                "--bootstrap-password",
                ADMIN_PASSWORD,
                "--bootstrap-username",
                "admin",
                "--bootstrap-project-name",
                "admin",
                "--bootstrap-role-name",
                "admin",
                "--bootstrap-region-id",
                REGION,
            ],
        ]
    if service == "glance":
        return [
            [
                str(venv_bin("glance", "glance-manage")),
                "--config-file",
                str(state / "glance" / "glance-api.conf"),
                "db_sync",
            ]
        ]
    if service == "nova":
        nm = [str(venv_bin("nova", "nova-manage")), "--config-file", str(state / "nova" / "nova.conf")]
        return [
            [*nm, "api_db", "sync"],
            [*nm, "cell_v2", "map_cell0", "--database_connection", "sqlite:///nova_cell0.db"],
            [*nm, "db", "sync"],
        ]
    raise ValueError(service)


def template_dir() -> Path:
    h = hashlib.sha256(TEMPLATE_VERSION.encode())
    for s in SERVICES:
        stamp = venv_dir(s) / ".rackimg-stamp"
        h.update(stamp.read_bytes() if stamp.exists() else b"-")
    h.update(ADMIN_PASSWORD.encode() + REGION.encode())
    return cache_dir() / "templates" / h.hexdigest()[:16]


def run_logged(cmd: list[str], cwd: Path, env: dict[str, str], logp: Path, service: str) -> None:
    with open(logp, "ab") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    if r.returncode:
        raise StartError(service, f"'{' '.join(cmd[:1] + cmd[3:])}' exited {r.returncode}", logp)


def ensure_templates() -> Path:
    """Build (once) the synced, bootstrapped databases for the current venvs."""
    tdir = template_dir()
    if (tdir / "done").exists():
        return tdir
    if tdir.parent.exists():  # templates of earlier venvs
        for old in tdir.parent.iterdir():
            if not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    t0 = time.monotonic()
    log(f"building database templates in {tdir} (once per install)")
    tdir.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=tdir.parent))
    (build / "logs").mkdir()
    write_configs(build, {"keystone": 5000, "glance": 9292, "nova": 8774})
    make_key_repo(build / "keystone" / "fernet-keys")  # bootstrap insists on them; not kept
    make_key_repo(build / "keystone" / "credential-keys")
    env = service_env(build)

    def chain(service: str) -> None:
        for cmd in setup_commands(build, service):
            run_logged(cmd, build / service, env, build / "logs" / f"{service}-setup.log", service)

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as ex:
            for f in [ex.submit(chain, s) for s in SERVICES]:
                f.result()
    except StartError as e:
        log(f"ERROR: {e}")
        print(f"----- last 40 lines of {e.logfile} -----\n{log_tail(e.logfile)}", file=sys.stderr)
        shutil.rmtree(build, ignore_errors=True)
        sys.exit(1)
    for s, files in TEMPLATE_DBS.items():
        for f in files:
            if not (build / s / f).exists():
                die(f"template build did not produce {s}/{f}; see {build}/logs")
    out = Path(tempfile.mkdtemp(prefix=".ready-", dir=tdir.parent))
    for s, files in TEMPLATE_DBS.items():
        (out / s).mkdir()
        for f in files:
            shutil.copy2(build / s / f, out / s / f)
    (out / "done").write_text(f"built in {time.monotonic() - t0:.1f}s\n")
    shutil.rmtree(build)
    try:
        out.rename(tdir)
    except OSError:  # built concurrently by someone else
        shutil.rmtree(out)
    log(f"database templates built in {time.monotonic() - t0:.1f}s")
    return tdir


def make_key_repo(path: Path) -> None:
    """What 'keystone-manage fernet_setup/credential_setup' make: keys 0 (staged) and 1 (primary)."""
    import base64

    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("0", "1"):
        kf = path / name
        kf.write_bytes(base64.urlsafe_b64encode(os.urandom(32)))
        kf.chmod(0o600)


def copy_templates(state: Path, tdir: Path) -> None:
    for s, files in TEMPLATE_DBS.items():
        for f in files:
            shutil.copy2(tdir / s / f, state / s / f)
    make_key_repo(state / "keystone" / "fernet-keys")
    make_key_repo(state / "keystone" / "credential-keys")


def gunicorn_needs_no_control_socket(service: str) -> bool:
    sp = glob.glob(str(venv_dir(service) / "lib" / "python*" / "site-packages" / "gunicorn-*.dist-info"))
    if not sp:
        return False
    ver = Path(sp[0]).name[len("gunicorn-") :].split(".dist-info")[0]
    try:
        return int(ver.split(".")[0]) >= 27
    except ValueError:
        return False


def start_service(state: Path, service: str, port: int, threads: int) -> int:
    sdir = state / service
    cmd = [
        str(venv_bin(service, "gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--graceful-timeout",
        "2",
        "--chdir",
        str(sdir),
        "--pythonpath",
        str(sdir),
        "--name",
        f"rackimg-{service}",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
    ]
    if gunicorn_needs_no_control_socket(service):
        cmd.append("--no-control-socket")
    cmd.append(f"rackimg_wsgi_{service}:application")
    with open(state / "logs" / f"{service}.log", "ab") as logf:
        logf.write(("$ " + " ".join(cmd) + "\n").encode())
        logf.flush()
        p = subprocess.Popen(
            cmd,
            cwd=sdir,
            env=service_env(state),
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (run_dir(state) / f"{service}.pid").write_text(f"{p.pid}\n")
    return p.pid


class StartError(Exception):
    def __init__(self, service: str, what: str, logfile: Path):
        super().__init__(f"{service}: {what}")
        self.service, self.what, self.logfile = service, what, logfile


def wait_answering(state: Path, service: str, port: int, timeout: float) -> float:
    import requests

    pid = read_pids(state).get(service)
    t0 = time.monotonic()
    logp = state / "logs" / f"{service}.log"
    while True:
        if pid is None or not pid_alive(pid):
            if pid is not None:
                reap(pid)
            raise StartError(service, "gunicorn exited", logp)
        try:
            r = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            if r.status_code < 500:
                return time.monotonic() - t0
        except requests.RequestException:
            pass
        if time.monotonic() - t0 > timeout:
            raise StartError(service, f"not answering on port {port} after {timeout:.0f}s", logp)
        time.sleep(0.25)


# --------------------------------------------------------------------------------------
# keystone registration and glance seeding


class Api:
    """Minimal JSON client; raises with the response body on unexpected status codes."""

    def __init__(self, base: str, token: str | None = None):
        import requests

        self.base = base.rstrip("/")
        self.token = token
        self.s = requests.Session()

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201, 204), **kw):
        headers = kw.pop("headers", {})
        if self.token:
            headers["X-Auth-Token"] = self.token
        r = self.s.request(method, self.base + path, headers=headers, timeout=60, **kw)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {self.base}{path} -> {r.status_code}: {r.text[:500]}")
        return r


def get_token(kurl: str, user: str, password: str, project: str) -> tuple[str, dict]:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}},
            },
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }
    }
    r = Api(kurl).call("POST", "/v3/auth/tokens", expect=(201,), json=body)
    return r.headers["X-Subject-Token"], r.json()["token"]


def register(kurl: str, ports: dict[str, int]) -> dict:
    """Projects, users, roles and the service catalog. Returns ids."""
    tok, _ = get_token(kurl, "admin", ADMIN_PASSWORD, "admin")
    ks = Api(kurl, tok)
    roles = {r["name"]: r["id"] for r in ks.call("GET", "/v3/roles").json()["roles"]}
    for needed in ("admin", "member", "reader"):
        if needed not in roles:
            roles[needed] = ks.call("POST", "/v3/roles", json={"role": {"name": needed}}).json()["role"]["id"]
    projects = {p["name"]: p["id"] for p in ks.call("GET", "/v3/projects").json()["projects"]}
    for name in ("service", "demo", "other"):
        if name not in projects:
            projects[name] = ks.call(
                "POST",
                "/v3/projects",
                json={"project": {"name": name, "domain_id": "default", "description": f"rackimg {name} project"}},
            ).json()["project"]["id"]
    users = {u["name"]: u["id"] for u in ks.call("GET", "/v3/users").json()["users"]}
    wanted = [("glance", SERVICE_PASSWORD, "service", "admin"), ("nova", SERVICE_PASSWORD, "service", "admin")]
    wanted += [(u, pw, proj, role) for u, (pw, proj, role) in USERS.items()]
    for name, pw, proj, role in wanted:
        if name not in users:
            users[name] = ks.call(
                "POST",
                "/v3/users",
                json={
                    "user": {"name": name, "password": pw, "domain_id": "default", "default_project_id": projects[proj]}
                },
            ).json()["user"]["id"]
        ks.call("PUT", f"/v3/projects/{projects[proj]}/users/{users[name]}/roles/{roles[role]}")
    for stype, sname, url in (
        ("identity", "keystone", f"http://127.0.0.1:{ports['keystone']}/v3/"),
        ("image", "glance", f"http://127.0.0.1:{ports['glance']}"),
        ("compute", "nova", f"http://127.0.0.1:{ports['nova']}/v2.1"),
    ):
        sid = ks.call("POST", "/v3/services", json={"service": {"type": stype, "name": sname, "enabled": True}}).json()[
            "service"
        ]["id"]
        for iface in ("public", "internal", "admin"):
            ks.call(
                "POST",
                "/v3/endpoints",
                json={
                    "endpoint": {
                        "service_id": sid,
                        "interface": iface,
                        "url": url,
                        "region_id": REGION,
                        "enabled": True,
                    }
                },
            )
    return {"projects": projects, "users": users, "roles": roles}


def image_bytes(name: str, size: int) -> bytes:
    """Deterministic filler that no disk-format inspector mistakes for anything but raw."""
    chunk = hashlib.sha256(name.encode()).hexdigest().encode() + b"\n"
    return (chunk * (size // len(chunk) + 1))[:size]


# Seed images. "as": who creates it (admin creates public base images). Sizes differ so size is checkable.
def seed_plan() -> list[dict]:
    srv1, srv2, srv3 = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"rackimg-server-{i}")) for i in (1, 2, 3))
    base = dict(container_format="bare", disk_format="raw")
    return [
        # --- base images: public, owned by the admin project
        dict(
            key="base-ubuntu",
            as_="admin",
            name="Ubuntu 24.04 LTS (Noble Numbat)",
            visibility="public",
            min_disk=10,
            min_ram=512,
            data=40960,
            props=dict(
                image_type="base", os_type="linux", os_distro="ubuntu", os_version="24.04", auto_disk_config="True"
            ),
            **base,
        ),
        dict(
            key="base-debian",
            as_="admin",
            name="Debian 12 (Bookworm)",
            visibility="public",
            min_disk=20,
            min_ram=1024,
            data=36864,
            props=dict(
                image_type="base", os_type="linux", os_distro="debian", os_version="12", auto_disk_config="False"
            ),
            **base,
        ),
        dict(
            key="base-windows",
            as_="admin",
            name="Windows Server 2022 Standard",
            visibility="public",
            min_disk=40,
            min_ram=2048,
            data=65536,
            props=dict(
                image_type="base",
                os_type="windows",
                os_distro="windows",
                os_version="2022",
                auto_disk_config="disabled",
            ),
            **base,
        ),
        dict(
            key="base-fedora",
            as_="admin",
            name="Fedora 41",
            visibility="public",
            min_disk=15,
            min_ram=768,
            data=20480,
            props=dict(image_type="base", os_type="linux", os_distro="fedora", os_version="41"),
            **base,
        ),
        dict(
            key="base-centos-queued",
            as_="admin",
            name="CentOS Stream 10 (no data)",
            visibility="public",
            min_disk=25,
            min_ram=4096,
            data=0,
            props=dict(image_type="base", os_type="linux", os_distro="centos", auto_disk_config="True"),
            **base,
        ),
        # --- demo project: snapshots, backups, odd ones
        dict(
            key="snap-active",
            as_="demo",
            name="demo-web01-snapshot",
            visibility="private",
            min_disk=10,
            min_ram=512,
            data=12288,
            props=dict(
                image_type="snapshot",
                instance_uuid=srv1,
                os_type="linux",
                os_distro="ubuntu",
                auto_disk_config="True",
                user_id="demo",
                base_image_ref="@base-ubuntu",
            ),
            **base,
        ),
        dict(
            key="snap-queued",
            as_="demo",
            name="demo-web01-snapshot-in-progress",
            visibility="private",
            min_disk=10,
            min_ram=512,
            data=0,
            props=dict(
                image_type="snapshot",
                instance_uuid=srv1,
                os_type="linux",
                os_distro="ubuntu",
                auto_disk_config="True",
                base_image_ref="@base-ubuntu",
            ),
            **base,
        ),
        dict(
            key="snap-db",
            as_="demo",
            name="demo-db01-snapshot",
            visibility="private",
            min_disk=20,
            min_ram=1024,
            data=16384,
            props=dict(
                image_type="snapshot",
                instance_uuid=srv2,
                os_type="linux",
                os_distro="debian",
                auto_disk_config="False",
                base_image_ref="@base-debian",
            ),
            **base,
        ),
        dict(
            key="backup",
            as_="demo",
            name="demo-web01-backup-daily",
            visibility="private",
            min_disk=10,
            min_ram=512,
            data=8192,
            props=dict(image_type="backup", backup_type="daily", instance_uuid=srv1, os_type="linux"),
            **base,
        ),
        dict(
            key="untyped-server",
            as_="demo",
            name="demo-untyped-from-server",
            visibility="private",
            min_disk=0,
            min_ram=0,
            data=4096,
            props=dict(instance_uuid=srv2),
            **base,
        ),
        dict(
            key="protected",
            as_="demo",
            name="demo-protected-snapshot",
            visibility="private",
            protected=True,
            min_disk=10,
            min_ram=512,
            data=10240,
            props=dict(image_type="snapshot", instance_uuid=srv2, os_type="linux"),
            **base,
        ),
        dict(
            key="deactivated",
            as_="demo",
            name="demo-deactivated-snapshot",
            visibility="private",
            min_disk=10,
            min_ram=512,
            data=6144,
            deactivate=True,
            props=dict(image_type="snapshot", instance_uuid=srv1, os_type="linux"),
            **base,
        ),
        dict(
            key="plain-queued",
            as_="demo",
            name="demo-plain-no-data",
            visibility="private",
            min_disk=0,
            min_ram=0,
            data=0,
            props={},
            **base,
        ),
        # --- another project's private image (invisible to demo)
        dict(
            key="other-private",
            as_="other",
            name="other-private-snapshot",
            visibility="private",
            min_disk=10,
            min_ram=512,
            data=7168,
            props=dict(image_type="snapshot", instance_uuid=srv3, os_type="linux"),
            **base,
        ),
    ]


NOVA_STATUS = {
    "active": ("ACTIVE", 100),
    "queued": ("SAVING", 25),
    "saving": ("SAVING", 50),
    "deleted": ("DELETED", 0),
    "pending_delete": ("DELETED", 0),
    "killed": ("ERROR", 0),
}

GLANCE_CORE = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "owner",
    "min_disk",
    "min_ram",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "container_format",
    "disk_format",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
    "os_hidden",
    "stores",
}


def image_record(img: dict, key: str | None, owners: dict[str, str]) -> dict:
    nova = NOVA_STATUS.get(img["status"], ("UNKNOWN", 0))
    return {
        "key": key,
        "id": img["id"],
        "name": img["name"],
        "glance_status": img["status"],
        "nova_status": nova[0],
        "nova_progress": nova[1],
        "visibility": img["visibility"],
        "protected": img["protected"],
        "owner": img["owner"],
        "owner_project": owners.get(img["owner"]),
        "min_disk": img["min_disk"],
        "min_ram": img["min_ram"],
        "size": img.get("size"),
        "disk_format": img.get("disk_format"),
        "container_format": img.get("container_format"),
        "created_at": img["created_at"],
        "updated_at": img["updated_at"],
        "properties": {k: v for k, v in img.items() if k not in GLANCE_CORE},
    }


def seed_images(
    gurl: str, tokens: dict[str, str], owners: dict[str, str], bulk: int, bulk_threads: int
) -> tuple[list[dict], list[dict]]:
    apis = {who: Api(gurl, tok) for who, tok in tokens.items()}
    created: dict[str, dict] = {}
    for spec in seed_plan():
        g = apis[spec["as_"]]
        body = {
            "name": spec["name"],
            "container_format": spec["container_format"],
            "disk_format": spec["disk_format"],
            "visibility": spec["visibility"],
            "min_disk": spec["min_disk"],
            "min_ram": spec["min_ram"],
            "protected": spec.get("protected", False),
        }
        for k, v in spec["props"].items():
            body[k] = created[v[1:]]["id"] if isinstance(v, str) and v.startswith("@") else v
        img = g.call("POST", "/v2/images", expect=(201,), json=body).json()
        if spec["data"]:
            g.call(
                "PUT",
                f"/v2/images/{img['id']}/file",
                expect=(204,),
                headers={"Content-Type": "application/octet-stream"},
                data=image_bytes(spec["name"], spec["data"]),
            )
        if spec.get("deactivate"):
            apis["admin"].call("POST", f"/v2/images/{img['id']}/actions/deactivate", expect=(204,))
        created[spec["key"]] = img
    images = []
    for key, img in created.items():
        fresh = apis["admin"].call("GET", f"/v2/images/{img['id']}").json()
        images.append(image_record(fresh, key, owners))

    bulk_images: list[dict] = []
    if bulk:
        import threading

        local = threading.local()
        server = str(uuid.uuid5(uuid.NAMESPACE_URL, "rackimg-server-bulk"))

        def make(i: int) -> dict:
            if not hasattr(local, "api"):
                local.api = Api(gurl, tokens["demo"])
            body = {
                "name": f"bulk-{i:04d}",
                "container_format": "bare",
                "disk_format": "raw",
                "visibility": "private",
                "min_disk": 1,
                "min_ram": 128,
                "image_type": "snapshot",
                "instance_uuid": server,
                "rackimg_bulk": "true",
            }
            img = local.api.call("POST", "/v2/images", expect=(201,), json=body).json()
            return {"id": img["id"], "name": img["name"], "created_at": img["created_at"]}

        with concurrent.futures.ThreadPoolExecutor(max_workers=bulk_threads) as ex:
            bulk_images = list(ex.map(make, range(1, bulk + 1)))
    return images, bulk_images


# --------------------------------------------------------------------------------------
# commands


def resolve_state(arg: str | None) -> Path:
    return (Path(arg).expanduser() if arg else default_state_dir()).resolve()


def wipe_state(state: Path) -> None:
    if state.exists():
        if any(state.iterdir()) and not (state / STATE_MARKER).exists():
            die(f"{state} exists, is not empty and was not made by this tool; refusing to wipe it")
        stopped = stop_services(state)
        if stopped:
            log(f"stopped services of a previous run: {', '.join(stopped)}")
        shutil.rmtree(state)
    state.mkdir(parents=True)
    (state / STATE_MARKER).write_text("made by tools/openstack/stack.py; wiped by every 'up'\n")
    run_dir(state).mkdir()
    (state / "logs").mkdir()


def cmd_up(args: argparse.Namespace) -> int:
    import requests

    t_start = time.monotonic()
    ensure_installed()
    tdir = ensure_templates()
    state = resolve_state(args.state_dir)
    wipe_state(state)
    ports = {}
    for s in SERVICES:
        want = getattr(args, f"{s}_port")
        if want:
            if not port_free(want):
                die(f"{s}: port {want} on 127.0.0.1 is in use")
            ports[s] = want
    for s in SERVICES:
        if s not in ports:
            while True:
                p = free_port()
                if p not in ports.values():
                    ports[s] = p
                    break
    (run_dir(state) / "ports.json").write_text(json.dumps(ports) + "\n")
    write_configs(state, ports)
    log(f"state dir {state}; ports {ports}")
    kurl = f"http://127.0.0.1:{ports['keystone']}"
    gurl = f"http://127.0.0.1:{ports['glance']}"
    nurl = f"http://127.0.0.1:{ports['nova']}"
    timings: dict[str, float] = {}
    try:
        copy_templates(state, tdir)
        for s in SERVICES:
            start_service(state, s, ports[s], args.threads)
        timings["started"] = round(time.monotonic() - t_start, 1)
        for s in SERVICES:
            wait_answering(state, s, ports[s], args.timeout)
            timings[f"{s}_answering"] = round(time.monotonic() - t_start, 1)
        log(f"all answering after {time.monotonic() - t_start:.1f}s")

        try:
            ids = register(kurl, ports)
            tokens = {}
            for who, (pw, proj) in {
                "admin": (ADMIN_PASSWORD, "admin"),
                **{u: (v[0], v[1]) for u, v in USERS.items()},
            }.items():
                tokens[who] = get_token(kurl, who, pw, proj)[0]
        except RuntimeError as e:
            raise StartError("keystone", f"registration failed: {e}", state / "logs" / "keystone.log") from e
        timings["registered"] = round(time.monotonic() - t_start, 1)
        owners = {pid: name for name, pid in ids["projects"].items()}
        t_seed = time.monotonic()
        try:
            images, bulk_images = seed_images(gurl, tokens, owners, args.bulk, args.bulk_threads)
        except RuntimeError as e:
            raise StartError("glance", f"seeding failed: {e}", state / "logs" / "glance.log") from e
        timings["seed"] = round(time.monotonic() - t_seed, 1)
        # Nova answers images calls only if it can validate tokens and reach glance: check once, as demo.
        demo_pid = ids["projects"]["demo"]
        r = requests.get(
            f"{nurl}/v2.1/{demo_pid}/images?limit=1",
            timeout=60,
            headers={"X-Auth-Token": tokens["demo"], "X-OpenStack-Nova-API-Version": "2.1"},
        )
        if r.status_code != 200:
            raise StartError(
                "nova", f"GET /v2.1/{demo_pid}/images -> {r.status_code}: {r.text[:300]}", state / "logs" / "nova.log"
            )
    except StartError as e:
        log(f"ERROR: {e}")
        print(f"----- last 40 lines of {e.logfile} -----", file=sys.stderr)
        print(log_tail(e.logfile), file=sys.stderr)
        print("-----", file=sys.stderr)
        if not args.keep_on_failure:
            stop_services(state)
        return 1
    except BaseException:
        if not args.keep_on_failure:
            stop_services(state)
        raise

    users = {}
    for u, (pw, proj, role) in USERS.items():
        users[u] = {
            "username": u,
            "user_id": ids["users"][u],
            "password": pw,
            "project_name": proj,
            "project_id": ids["projects"][proj],
            "role": role,
            "user_domain_id": "default",
            "user_domain_name": "Default",
            "project_domain_id": "default",
            "project_domain_name": "Default",
        }
    users["admin"] = {
        "username": "admin",
        "user_id": ids["users"]["admin"],
        "password": ADMIN_PASSWORD,
        "project_name": "admin",
        "project_id": ids["projects"]["admin"],
        "role": "admin",
        "user_domain_id": "default",
        "user_domain_name": "Default",
        "project_domain_id": "default",
        "project_domain_name": "Default",
    }
    timings["total"] = round(time.monotonic() - t_start, 1)
    info = {
        "format": 1,
        "state_dir": str(state),
        "region": REGION,
        "keystone": {"url": kurl, "v3": f"{kurl}/v3", "port": ports["keystone"]},
        "glance": {"url": gurl, "v2": f"{gurl}/v2", "port": ports["glance"]},
        "nova": {"url": f"{nurl}/v2.1", "root": nurl, "port": ports["nova"], "max_microversion_with_images": "2.35"},
        "users": users,
        "images": images,
        "bulk": {
            "count": len(bulk_images),
            "owner_project": "demo",
            "properties": {
                "image_type": "snapshot",
                "rackimg_bulk": "true",
                "instance_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "rackimg-server-bulk")),
            },
            "glance_status": "queued",
            "nova_status": "SAVING",
            "nova_progress": 25,
            "min_disk": 1,
            "min_ram": 128,
            "visibility": "private",
            "images": bulk_images,
        },
        "pids": read_pids(state),
        "logs": {s: str(state / "logs" / f"{s}.log") for s in SERVICES},
        "timings_s": timings,
    }
    out = state / "stack.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(out)
    log("up in {:.1f}s ({} seeded + {} bulk images)".format(timings["total"], len(images), len(bulk_images)))
    print(out)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        die("run: give a command after --")
    rc = cmd_up(args)
    if rc:
        return rc
    state = resolve_state(args.state_dir)
    env = dict(os.environ, RACKIMG_OPENSTACK_STACK_JSON=str(state / "stack.json"))
    try:
        sys.stdout.flush()
        rc = subprocess.call(command, env=env)
    finally:
        stopped = stop_services(state)
        log(f"stopped {', '.join(stopped) or 'nothing'}")
    return rc


def cmd_down(args: argparse.Namespace) -> int:
    state = resolve_state(args.state_dir)
    if not state.exists():
        log(f"{state}: no such state dir, nothing to stop")
        return 0
    t0 = time.monotonic()
    stopped = stop_services(state)
    left = [s for s, pid in read_pids(state).items() if group_members(pid)]
    log(f"stopped {', '.join(stopped) or 'nothing'} in {time.monotonic() - t0:.1f}s")
    if left:
        log(f"ERROR: still running: {left}")
        return 1
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import requests

    state = resolve_state(args.state_dir)
    pf = run_dir(state) / "ports.json"
    ports = json.loads(pf.read_text()) if pf.exists() else {}
    pids = read_pids(state)
    ok = True
    for s in SERVICES:
        pid = pids.get(s)
        running = pid is not None and pid_alive(pid) and is_ours(pid, state)
        answering = None
        if running and s in ports:
            try:
                answering = requests.get(f"http://127.0.0.1:{ports[s]}/", timeout=5).status_code
            except requests.RequestException as e:
                answering = type(e).__name__
        ok &= running and isinstance(answering, int) and answering < 500
        print(f"{s:9s} pid={pid} running={running} port={ports.get(s)} answer={answering}")
    sj = state / "stack.json"
    print(f"stack.json: {sj if sj.exists() else 'missing'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("install", help="create/reuse the service venvs in the cache dir")
    pi.add_argument("--python", help=f"interpreter for the venvs (default: a Python {PYTHON_WANTED})")
    pi.add_argument("--force", action="store_true", help="recreate the venvs even if they match")
    pi.add_argument(
        "--refreeze",
        action="store_true",
        help="re-resolve without the constraints files, reinstall, and rewrite constraints-*.txt",
    )
    pi.set_defaults(func=cmd_install)

    sd = dict(help="state dir (default: $RACKIMG_OPENSTACK_CACHE/state); 'up' wipes it")

    def up_args(pp: argparse.ArgumentParser) -> None:
        pp.add_argument("--state-dir", **sd)
        pp.add_argument("--bulk", type=int, default=0, help="extra small queued images for paging tests")
        pp.add_argument("--bulk-threads", type=int, default=4)
        pp.add_argument("--threads", type=int, default=4, help="gunicorn threads per service (1 worker each)")
        pp.add_argument("--timeout", type=float, default=180, help="seconds to wait for each service to answer")
        for s in SERVICES:
            pp.add_argument(f"--{s}-port", type=int, default=0)
        pp.add_argument("--keep-on-failure", action="store_true", help="leave services running if 'up' fails")

    pu = sub.add_parser("up", help="(re)create the state dir, start the services, seed images, write stack.json")
    up_args(pu)
    pu.set_defaults(func=cmd_up)
    pr = sub.add_parser(
        "run",
        help="up, run COMMAND with $RACKIMG_OPENSTACK_STACK_JSON set, then down (always); exits with COMMAND's status",
    )
    up_args(pr)
    pr.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments")
    pr.set_defaults(func=cmd_run)

    pd = sub.add_parser("down", help="stop the services started by 'up' for this state dir")
    pd.add_argument("--state-dir", **sd)
    pd.set_defaults(func=cmd_down)
    ps = sub.add_parser("status", help="which services run and answer")
    ps.add_argument("--state-dir", **sd)
    ps.set_defaults(func=cmd_status)
    args = p.parse_args(argv)
    if args.cmd in ("up", "run"):
        # a TERM (e.g. from tox or CI on timeout) unwinds like Ctrl-C, so what was started gets stopped
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
