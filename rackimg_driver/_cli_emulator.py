"""Private module: ``rackimg emulator``, the local cloud in the foreground.

It prints what a person types to use it: the options of ``rackimg``, the same as
``OS_*`` variables, a profile and a clouds.yaml entry, not the driver's keyword names.
"""

from __future__ import annotations

import argparse
import random
import signal
import threading
from typing import Any, TextIO

from rackimg_driver._cli_run import data_dir

__all__ = ["run", "usage_lines"]


def usage_lines(cloud: Any) -> list[str]:
    """How to point ``rackimg`` (and other OpenStack tools) at ``cloud``: options, a profile,
    and in the openstack and glance dialects the OS_* variables and a clouds.yaml entry."""
    if cloud.dialect == "rackspace":
        options = f"--auth-url {cloud.url} --user {cloud.username} --api-key {cloud.api_key}"
        return [
            "Options:",
            f"  rackimg {options} images list",
            "A profile (rackimg --profile local ...; in ~/.config/rackimg/config.ini):",
            "  [local]",
            f"  auth_url = {cloud.url}",
            f"  user = {cloud.username}",
            f"  api_key = {cloud.api_key}",
        ]
    dialect = " --dialect glance" if cloud.dialect == "glance" else ""
    domain = cloud.identity.credentials.domain_name
    return [
        "Options:",
        f"  rackimg --cloud openstack{dialect} --auth-url {cloud.url} --user {cloud.username}"
        f" --password {cloud.password} --tenant {cloud.project_name} images list",
        "An openrc (then: rackimg --cloud openstack images list):",
        f"  export OS_AUTH_URL={cloud.url}/v3 OS_USERNAME={cloud.username} OS_PASSWORD={cloud.password}",
        f"  export OS_PROJECT_NAME={cloud.project_name} OS_USER_DOMAIN_NAME={domain} OS_REGION_NAME=RegionOne",
        "A clouds.yaml entry (then: rackimg --os-cloud local images list):",
        "  clouds:",
        "    local:",
        *(["      dialect: glance"] if dialect else []),
        "      region_name: RegionOne",
        "      auth:",
        f"        auth_url: {cloud.url}/v3",
        f"        username: {cloud.username}",
        f"        password: {cloud.password}",
        f"        project_name: {cloud.project_name}",
        f"        user_domain_name: {domain}",
    ]


def _prepare(cloud: Any, args: argparse.Namespace, out: TextIO) -> None:
    from rackimg_driver.emulator.seed import seed_demo_data, seed_prune_history

    if args.reset:
        cloud.store.reset()
        seed_demo_data(cloud.store)
        if args.history:
            seed_prune_history(cloud.store)
        print(f"reset {cloud.store.path} to the seed data", file=out)
    if args.images:
        # Ids from a fresh seed each time, so that a second --images adds to the first.
        seed = random.SystemRandom().getrandbits(48)
        cloud.store.add_images_bulk(args.images, owner=cloud.tenant_id, id_seed=seed)
        print(f"added {args.images} images (bulk-image-N) to {cloud.store.path}", file=out)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from rackimg_driver.emulator import LocalCloud

    state = args.state
    if args.local:
        data = data_dir()
        data.mkdir(parents=True, exist_ok=True)
        state = str(data / "local-cloud.sqlite")
    dialect = getattr(args, "dialect", None) or "rackspace"
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    # A handler, not KeyboardInterrupt: Ctrl-C (or SIGTERM) then stops cleanly wherever the
    # main thread happens to be, even before the banner is out.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        cloud = LocalCloud(dialect, state, host=args.host, port=args.port, history=args.history)
        try:
            _prepare(cloud, args, out)
            if args.no_serve:
                return 0
            cloud.start()
            print(f"rackimg emulator ({cloud.dialect}) listening on {cloud.url}", file=out)
            print(f"  compute endpoint: {cloud.compute_url}", file=out)
            if cloud.image_url is not None:
                print(f"  image endpoint: {cloud.image_url} (Glance v2: /v2/images)", file=out)
            print(f"  state: {cloud.store.path}", file=out)
            for line in usage_lines(cloud):
                print(line, file=out)
            print("Press Ctrl-C to stop.", file=out, flush=True)
            while not stopping.wait(0.2):
                pass
            print("stopping", file=out, flush=True)
        finally:
            cloud.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
