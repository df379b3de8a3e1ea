"""The store on its own: snapshot progress derived from the clock, and what a file keeps."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rackimg_driver.emulator import LocalCloud, Store, seed
from rackimg_driver.emulator.store import ImageProtected, ServerNotFound, SnapshotInProgress

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def seeded_store(path: str, clock: FakeClock) -> Store:
    store = Store(path, clock=clock)
    seed.seed_demo_data(store)
    return store


def test_snapshot_progress_follows_the_clock_and_active_is_written_back(tmp_path: Path) -> None:
    clock = FakeClock()
    path = str(tmp_path / "state.sqlite")
    store = seeded_store(path, clock)
    image = store.create_snapshot("123456", seed.WEB_SERVER_ID, "snap", {"a": "b"}, saving_seconds=10)
    assert (image.status, image.progress, image.size) == ("saving", 0, None)

    clock.now = T0 + timedelta(seconds=5)
    halfway = store.get_image("123456", image.id)
    clock.now = T0 + timedelta(seconds=10)
    done = store.get_image("123456", image.id)

    assert (halfway.status, halfway.progress) == ("saving", 50)
    assert (done.status, done.progress) == ("active", None)
    assert done.updated == T0 + timedelta(seconds=10)
    assert isinstance(done.size, int)
    store.close()

    clock.now = T0  # a store whose clock reads earlier still sees what was written
    again = Store(path, clock=clock)
    assert again.get_image("123456", image.id).status == "active"
    again.close()


def test_create_snapshot_refuses_unknown_servers_and_a_second_snapshot_while_saving() -> None:
    store = seeded_store(":memory:", FakeClock())
    store.create_snapshot("123456", seed.DB_SERVER_ID, "one", saving_seconds=10)

    with pytest.raises(SnapshotInProgress):
        store.create_snapshot("123456", seed.DB_SERVER_ID, "two", saving_seconds=10)
    with pytest.raises(ServerNotFound):
        store.create_snapshot("123456", seed.OTHER_TENANT_SERVER_ID, "x")


def test_delete_refuses_protected_and_foreign_public_images() -> None:
    store = seeded_store(":memory:", FakeClock())
    for image_id in (seed.PROTECTED_IMAGE_ID, seed.UBUNTU_2204_ID):
        with pytest.raises(ImageProtected):
            store.delete_image("123456", image_id)


def test_seeding_is_deterministic() -> None:
    first = [(i.id, i.created, i.name) for i in seeded_store(":memory:", FakeClock()).list_images("123456")]
    second = [(i.id, i.created, i.name) for i in seeded_store(":memory:", FakeClock()).list_images("123456")]
    assert first == second
    assert len(first) == 18


def test_bulk_ids_are_deterministic_and_distinct() -> None:
    a = Store().add_images_bulk(1000, owner="t", id_seed=1)
    b = Store().add_images_bulk(1000, owner="t", id_seed=1)
    c = Store().add_images_bulk(1000, owner="t", id_seed=2)
    assert a == b
    assert len(set(a)) == 1000
    assert set(a).isdisjoint(c)


def test_a_file_with_own_data_is_not_reseeded(tmp_path: Path) -> None:
    path = str(tmp_path / "own.sqlite")
    with LocalCloud(state=path, seed=False) as cloud:
        cloud.store.add_image(name="mine", owner="123456")
    with LocalCloud(state=path) as cloud:
        assert [image.name for image in cloud.store.list_images("123456")] == ["mine"]


def test_processes_opening_one_new_file_at_once_seed_it_once(tmp_path: Path) -> None:
    # As several `rackimg --cloud local` commands started together do on a fresh machine.
    path = str(tmp_path / "shared.sqlite")
    opener = (
        "import sys, time; from rackimg_driver.emulator import LocalCloud\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "with LocalCloud(state=sys.argv[1]) as cloud: print(len(cloud.store.list_images('123456')))\n"
    )
    start = f"{time.time() + 1.0:.3f}"  # all of them at the same moment, once their imports are done
    processes = [
        subprocess.Popen([sys.executable, "-c", opener, path, start], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(12)
    ]
    results = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 12, [err.decode()[-300:] for _, err in results]
    assert [out.decode().strip() for out, _ in results] == ["18"] * 12
    assert len(Store(path).list_images("123456")) == 18
