"""Deterministic demo data: what tenant ``123456`` sees on a fresh local cloud.

Fixed ids and timestamps, so tests and examples may name them. The mix covers what a client must
handle: Rackspace base images with their metadata keys, snapshots in every Nova status (ACTIVE,
SAVING from ``queued`` and from ``saving``, DELETED, ERROR, UNKNOWN), a backup, a legacy snapshot
without ``image_type``, a protected image, a ``null`` metadata value, an image of another tenant,
and servers to snapshot.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from .records import UTC, ImageNotFound
from .store import Store

DEMO_TENANT = "123456"
OTHER_TENANT = "654321"
BASE_IMAGE_OWNER = "rackspace"

UBUNTU_2204_ID = "8a3a9f96-b997-46fd-b7a8-a9e740796ffd"
UBUNTU_2004_ID = "28153eac-1bae-4039-8d9f-f8b513241efe"
DEBIAN_12_ID = "f1a2c6b5-3b36-4fd0-9c2c-0a9f3b7d5e11"
CENTOS_STREAM_9_ID = "3e5a7a5c-5d1e-4bb4-8c0f-6f7a2b7d9c21"
FEDORA_39_ID = "b2f6e6d1-7c3a-4d8e-9a1b-2c3d4e5f6a31"
WINDOWS_2019_ID = "c4d9a1e2-6b7f-4a8c-9d0e-1f2a3b4c5d41"
ARCH_LEGACY_ID = "d5e0b2f3-7c8a-4b9d-8e1f-2a3b4c5d6e51"

SNAPSHOT_ACTIVE_ID = "0f1e2d3c-4b5a-4697-8877-665544332211"
BACKUP_ACTIVE_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
LEGACY_SNAPSHOT_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
SNAPSHOT_QUEUED_ID = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"
SNAPSHOT_SAVING_ID = "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80"
SNAPSHOT_DELETED_ID = "5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8091"
SNAPSHOT_PENDING_DELETE_ID = "6f7a8b9c-0d1e-4f2a-9b4c-5d6e7f8091a2"
SNAPSHOT_KILLED_ID = "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8091a2b3"
SNAPSHOT_IMPORTING_ID = "8b9c0d1e-2f3a-4b4c-9d6e-7f8091a2b3c4"
SNAPSHOT_DEACTIVATED_ID = "9c0d1e2f-3a4b-4c5d-8e7f-8091a2b3c4d5"
PROTECTED_IMAGE_ID = "a0b1c2d3-e4f5-4a6b-9c7d-8e9fa0b1c2d3"
OTHER_TENANT_IMAGE_ID = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"

WEB_SERVER_ID = "5f0c7a1e-2b3d-4e5f-9a6b-7c8d9e0f1a2b"
DB_SERVER_ID = "6a1d8b2f-3c4e-4f6a-8b7c-8d9e0f1a2b3c"
WINDOWS_SERVER_ID = "7b2e9c3a-4d5f-4a7b-9c8d-9e0f1a2b3c4d"
OTHER_TENANT_SERVER_ID = "8c3f0d4b-5e6a-4b8c-8d9e-0f1a2b3c4d5e"

GIB = 1024**3


def _at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _rackspace_base(
    distro: str, org_distro: str, version: str, os_type: str = "linux", auto_disk: str = "True"
) -> dict[str, str | None]:
    """Metadata keys as Rackspace puts them on its base images."""
    return {
        "image_type": "base",
        "os_type": os_type,
        "os_distro": distro,
        "os_version": version,
        "auto_disk_config": auto_disk,
        "vm_mode": "hvm",
        "cache_in_nova": "True",
        "com.rackspace__1__build_core": "1",
        "com.rackspace__1__build_managed": "1",
        "com.rackspace__1__build_rackconnect": "1",
        "com.rackspace__1__options": "0",
        "com.rackspace__1__platform_target": "PublicCloud",
        "com.rackspace__1__release_build_date": "2024-01-15_10-00-00",
        "com.rackspace__1__release_id": f"{distro}-{version}",
        "com.rackspace__1__release_version": "1",
        "com.rackspace__1__source": "kickstart",
        "com.rackspace__1__visible_core": "1",
        "com.rackspace__1__visible_managed": "1",
        "com.rackspace__1__visible_rackconnect": "1",
        "org.openstack__1__architecture": "x64",
        "org.openstack__1__os_distro": org_distro,
        "org.openstack__1__os_version": version,
    }


def _add_base_images(store: Store) -> None:
    bases = [
        (UBUNTU_2204_ID, "Ubuntu 22.04 LTS (Jammy Jellyfish) (PVHVM)", _at(2024, 1, 15),
         _rackspace_base("ubuntu", "org.ubuntu", "22.04"), 20, 512, 1_083_179_008, "AUTO"),
        (UBUNTU_2004_ID, "Ubuntu 20.04 LTS (Focal Fossa) (PVHVM)", _at(2023, 6, 1),
         _rackspace_base("ubuntu", "org.ubuntu", "20.04"), 20, 512, 987_654_144, "AUTO"),
        (DEBIAN_12_ID, "Debian 12 (Bookworm) (PVHVM)", _at(2024, 1, 10),
         _rackspace_base("debian", "org.debian", "12"), 20, 512, 812_646_400, "AUTO"),
        (CENTOS_STREAM_9_ID, "CentOS Stream 9 (PVHVM)", _at(2023, 11, 20),
         _rackspace_base("centos", "org.centos", "9"), 20, 1024, 1_234_567_168, "AUTO"),
        (FEDORA_39_ID, "Fedora 39 (PVHVM)", _at(2023, 12, 5),
         _rackspace_base("fedora", "org.fedoraproject", "39"), 20, 1024, 901_775_360, "MANUAL"),
        (WINDOWS_2019_ID, "Windows Server 2019 Standard", _at(2023, 9, 12),
         _rackspace_base("windows", "com.microsoft.server", "2019", "windows", "False"),
         40, 2048, 10 * GIB, "MANUAL"),
    ]  # fmt: skip
    for image_id, name, created, properties, min_disk, min_ram, size, disk_config in bases:
        store.add_image(
            image_id=image_id,
            name=name,
            owner=BASE_IMAGE_OWNER,
            visibility="public",
            created=created,
            updated=created,
            min_disk=min_disk,
            min_ram=min_ram,
            size=size,
            disk_config=disk_config,
            properties=properties,
        )
    # An old public image without image_type: Nova's "type" filter does not see it at all.
    store.add_image(
        image_id=ARCH_LEGACY_ID,
        name="Arch 2015.7 (PVHVM)",
        owner=BASE_IMAGE_OWNER,
        visibility="public",
        created=_at(2015, 7, 1),
        min_disk=20,
        min_ram=512,
        size=512 * 1024**2,
        properties={"os_type": "linux", "os_distro": "arch"},
    )


def _add_snapshots(store: Store) -> None:
    def snapshot(server_id: str, **extra: str | None) -> dict[str, str | None]:
        props: dict[str, str | None] = {
            "image_type": "snapshot",
            "instance_uuid": server_id,
            "base_image_ref": UBUNTU_2204_ID,
            "os_type": "linux",
            "os_distro": "ubuntu",
            "auto_disk_config": "True",
            "user_id": "10001",
        }
        props.update(extra)
        return props

    rows = [
        # id, name, glance status, created, updated, size, properties, protected
        (SNAPSHOT_ACTIVE_ID, "web01-2024-03-01", "active", _at(2024, 3, 1), _at(2024, 3, 1, 12, 9),
         21_474_836_480, snapshot(WEB_SERVER_ID), False),
        (BACKUP_ACTIVE_ID, "db01-daily-backup", "active", _at(2024, 3, 2, 3),
         _at(2024, 3, 2, 3, 20), 17_179_869_184, snapshot(DB_SERVER_ID, image_type="backup", backup_type="daily",
                                  base_image_ref=DEBIAN_12_ID, os_distro="debian"), False),
        (LEGACY_SNAPSHOT_ID, "web01-legacy", "active", _at(2022, 5, 5), _at(2022, 5, 5, 12, 30),
         10 * GIB, {"instance_uuid": WEB_SERVER_ID, "os_type": "linux",
                    "com.rackspace__1__release_build_date": None}, False),
        (SNAPSHOT_QUEUED_ID, "web01-queued", "queued", _at(2024, 3, 5), _at(2024, 3, 5),
         None, snapshot(WEB_SERVER_ID), False),
        (SNAPSHOT_SAVING_ID, "db01-saving", "saving", _at(2024, 3, 5, 13), _at(2024, 3, 5, 13, 1),
         None, snapshot(DB_SERVER_ID, os_distro="debian"), False),
        (SNAPSHOT_DELETED_ID, "web01-deleted", "deleted", _at(2024, 2, 1), _at(2024, 2, 20),
         21_474_836_480, snapshot(WEB_SERVER_ID), False),
        (SNAPSHOT_PENDING_DELETE_ID, "web01-pending-delete", "pending_delete", _at(2024, 2, 2),
         _at(2024, 2, 21), 21_474_836_480, snapshot(WEB_SERVER_ID), False),
        (SNAPSHOT_KILLED_ID, "db01-failed", "killed", _at(2024, 2, 10), _at(2024, 2, 10, 12, 5),
         None, snapshot(DB_SERVER_ID), False),
        (SNAPSHOT_IMPORTING_ID, "imported-appliance", "importing", _at(2024, 2, 15),
         _at(2024, 2, 15, 12, 2), None, snapshot(WEB_SERVER_ID), False),
        (SNAPSHOT_DEACTIVATED_ID, "web01-deactivated", "deactivated", _at(2023, 8, 8),
         _at(2024, 1, 2), 21_474_836_480, snapshot(WEB_SERVER_ID), False),
        (PROTECTED_IMAGE_ID, "golden-web-protected", "active", _at(2023, 10, 10),
         _at(2023, 10, 10, 12, 15), 21_474_836_480, snapshot(WEB_SERVER_ID), True),
    ]  # fmt: skip
    for image_id, name, status, created, updated, size, properties, protected in rows:
        store.add_image(
            image_id=image_id,
            name=name,
            owner=DEMO_TENANT,
            status=status,
            created=created,
            updated=updated,
            min_disk=20,
            min_ram=0,
            size=size,
            protected=protected,
            disk_config="AUTO",
            properties=properties,
        )
    store.add_image(
        image_id=OTHER_TENANT_IMAGE_ID,
        name="other-tenant-secret",
        owner=OTHER_TENANT,
        created=_at(2024, 3, 3),
        min_disk=20,
        size=5 * GIB,
        properties=snapshot(OTHER_TENANT_SERVER_ID),
    )


def _add_servers(store: Store) -> None:
    servers = [
        (WEB_SERVER_ID, "web01", DEMO_TENANT, "ACTIVE", UBUNTU_2204_ID, _at(2024, 1, 20)),
        (DB_SERVER_ID, "db01", DEMO_TENANT, "ACTIVE", DEBIAN_12_ID, _at(2024, 1, 21)),
        (WINDOWS_SERVER_ID, "win01", DEMO_TENANT, "SHUTOFF", WINDOWS_2019_ID, _at(2024, 1, 22)),
        (OTHER_TENANT_SERVER_ID, "other01", OTHER_TENANT, "ACTIVE", UBUNTU_2204_ID, _at(2024, 1, 23)),
    ]
    for server_id, name, tenant, status, image_id, created in servers:
        store.add_server(
            server_id=server_id,
            name=name,
            tenant=tenant,
            status=status,
            image_id=image_id,
            created=created,
        )


def seed_demo_data(store: Store) -> None:
    """Empty the store, then fill it with the demo data above."""
    store.reset()
    _add_base_images(store)
    _add_snapshots(store)
    _add_servers(store)
    store.mark_seeded()


# -- a snapshot history, for trying ``rackimg images prune`` ----------------------------------

APP_SERVER_ID = "9d4a1e5c-6f7b-4c9d-8e0f-1a2b3c4d5e6f"
RESTORED_SERVER_ID = "ae5b2f6d-7a8c-4d0e-9f1a-2b3c4d5e6f70"
HISTORY_DAYS = 60
#: The servers snapshotted every night at 02:00 UTC, and each snapshot's size.
HISTORY_SERVERS = (
    ("web01", WEB_SERVER_ID, 20 * GIB),
    ("db01", DB_SERVER_ID, 16 * GIB),
    ("app01", APP_SERVER_ID, 8 * GIB),
)
# Namespace of the history's deterministic ids.
_HISTORY_IDS = uuid.UUID("0c5e8a2d-4b7f-4e19-9a3c-7d1f6b2e8a40")


def history_image_id(server: str, days_ago: int) -> str:
    """The id of the nightly snapshot of ``server`` (``web01``, ``db01``, ``app01``) taken
    ``days_ago`` nights before the history was seeded (0 is tonight's)."""
    return str(uuid.uuid5(_HISTORY_IDS, f"{server}:{days_ago}"))


def seed_prune_history(store: Store, days: int = HISTORY_DAYS) -> None:
    """Add nightly snapshots of web01, db01 and app01 over the last ``days`` nights (counted
    back from the store's clock), with what a prune must leave alone among them:

    - tonight's snapshots (``days_ago`` 0): web01's still SAVING, db01's ERROR (Glance ``killed``);
    - web01's of 45 nights ago is protected; db01's of 40 nights ago has ``retain=true``;
    - server ``restored01`` (added here) boots from app01's of 50 nights ago.

    A store that holds the history already is left as it is.
    """
    try:
        store.get_image(DEMO_TENANT, history_image_id("web01", 1))
        return
    except ImageNotFound:
        pass
    servers = {server.id for server in store.list_servers(DEMO_TENANT)}
    for name, server_id, _ in HISTORY_SERVERS:
        if server_id not in servers:
            store.add_server(server_id=server_id, name=name, tenant=DEMO_TENANT, image_id=DEBIAN_12_ID)
    tonight = store.now().replace(hour=2, minute=0, second=0, microsecond=0)
    if tonight > store.now():
        tonight -= timedelta(days=1)
    for name, server_id, size in HISTORY_SERVERS:
        for days_ago in range(days):
            status = "active"
            if days_ago == 0:
                status = {"web01": "saving", "db01": "killed"}.get(name, "active")
            properties: dict[str, str | None] = {
                "image_type": "snapshot",
                "instance_uuid": server_id,
                "os_type": "linux",
                "user_id": "10001",
            }
            if (name, days_ago) == ("db01", 40):
                properties["retain"] = "true"
            moment = tonight - timedelta(days=days_ago)
            store.add_image(
                image_id=history_image_id(name, days_ago),
                name=f"{name}-nightly-{moment:%Y-%m-%d}",
                owner=DEMO_TENANT,
                status=status,
                created=moment,
                updated=moment + timedelta(minutes=12),
                min_disk=20,
                size=size if status == "active" else None,
                protected=(name, days_ago) == ("web01", 45),
                properties=properties,
            )
    store.add_server(
        server_id=RESTORED_SERVER_ID, name="restored01", tenant=DEMO_TENANT, image_id=history_image_id("app01", 50)
    )
