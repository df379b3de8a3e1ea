"""Snapshot retention against the local cloud: ``ex_plan_prune`` (every rule, every reason) and
``ex_apply_prune`` (deletes, failures on the way, images that changed between plan and apply)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from libcloud.common.exceptions import BaseHTTPError

from rackimg_driver import PruneDecision, PruneResult, RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud, seed
from tests.conftest import FAST_RETRIES, image_exists

UTC = timezone.utc
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TENANT = seed.DEMO_TENANT
WEB, DB = seed.WEB_SERVER_ID, seed.DB_SERVER_ID
GIB = 1024**3


def snapshot_id(server: str, days_ago: int) -> str:
    return f"{server}-{days_ago:02d}-0000-4000-8000-000000000000"


@pytest.fixture(params=["rackspace", "openstack"])
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """Servers web01 and db01 with a snapshot every night for 10 nights, and a base image."""
    with LocalCloud(request.param, seed=False) as local:
        store = local.store
        store.add_image(image_id=seed.UBUNTU_2204_ID, name="Ubuntu", owner="rackspace", visibility="public",
                        created=NOW - timedelta(days=400), size=GIB, properties={"image_type": "base"})  # fmt: skip
        store.add_server(server_id=WEB, name="web01", tenant=TENANT, image_id=seed.UBUNTU_2204_ID)
        store.add_server(server_id=DB, name="db01", tenant=TENANT, image_id=seed.UBUNTU_2204_ID)
        for name, server in (("web01", WEB), ("db01", DB)):
            for days_ago in range(10):
                store.add_image(
                    image_id=snapshot_id(name, days_ago),
                    name=f"{name}-{days_ago}",
                    owner=TENANT,
                    created=NOW - timedelta(days=days_ago, hours=10),
                    size=2 * GIB,
                    properties={"image_type": "snapshot", "instance_uuid": server},
                )
        yield local


def driver_for(cloud: LocalCloud, **kwargs: object) -> RackImgNodeDriver:
    return RackImgNodeDriver(**{**cloud.driver_kwargs, **FAST_RETRIES, **kwargs})


def by_id(plan: list[PruneDecision]) -> dict[str, tuple[str, str]]:
    return {decision.image.id: (decision.action, decision.reason) for decision in plan}


# -- the rules -------------------------------------------------------------------------------------


def test_keep_keeps_the_newest_n_of_each_server(cloud: LocalCloud) -> None:
    plan = driver_for(cloud).ex_plan_prune(keep=3, now=NOW)

    got = by_id(plan)
    assert len(got) == 20  # the base image is not considered
    for name in ("web01", "db01"):
        for days_ago in range(10):
            if days_ago < 3:
                assert got[snapshot_id(name, days_ago)] == ("keep", f"newest 3 of server {name}")
            else:
                assert got[snapshot_id(name, days_ago)] == ("delete", f"not among the newest 3 of server {name}")
    assert {d.server for d in plan} == {"web01", "db01"}
    assert all(isinstance(d.image.extra["size"], int) for d in plan)


def test_keep_per_none_counts_every_snapshot_together(cloud: LocalCloud) -> None:
    plan = driver_for(cloud).ex_plan_prune(keep=3, per=None, now=NOW)

    kept = {image_id for image_id, (action, _) in by_id(plan).items() if action == "keep"}
    # Each night web01's and db01's are made at the same moment; of equals, the greater id is newer.
    assert kept == {snapshot_id("web01", 0), snapshot_id("db01", 0), snapshot_id("web01", 1)}
    assert {reason for _, reason in by_id(plan).values()} == {
        "newest 3 of all snapshots",
        "not among the newest 3 of all snapshots",
    }


@pytest.mark.parametrize(
    ("older_than", "keeps", "deletes"),
    [
        ("5d", "created within 5 days", "older than 5 days"),
        (timedelta(days=5), "created within 5 days", "older than 5 days"),
        ("120h", "created within 5 days", "older than 5 days"),
        (NOW - timedelta(days=5), "created since 2024-05-27 12:00:00 UTC", "created before 2024-05-27 12:00:00 UTC"),
        ("2024-05-27T12:00:00Z", "created since 2024-05-27 12:00:00 UTC", "created before 2024-05-27 12:00:00 UTC"),
    ],
)
def test_older_than_deletes_only_what_was_made_before_it(
    cloud: LocalCloud, older_than: object, keeps: str, deletes: str
) -> None:
    got = by_id(driver_for(cloud).ex_plan_prune(older_than=older_than, now=NOW))

    for name in ("web01", "db01"):
        for days_ago in range(10):  # made at NOW - days_ago days - 10 hours
            expected = ("keep", keeps) if days_ago < 5 else ("delete", deletes)
            assert got[snapshot_id(name, days_ago)] == expected, (name, days_ago)


def test_an_iso_date_counts_from_its_midnight(cloud: LocalCloud) -> None:
    got = by_id(driver_for(cloud).ex_plan_prune(older_than="2024-05-30", now=NOW))

    # web01-2 was made on 2024-05-30 at 02:00, web01-3 on 2024-05-29.
    assert got[snapshot_id("web01", 2)] == ("keep", "created since 2024-05-30")
    assert got[snapshot_id("web01", 3)] == ("delete", "created before 2024-05-30")


def test_with_both_rules_an_image_goes_only_when_both_say_so(cloud: LocalCloud) -> None:
    got = by_id(driver_for(cloud).ex_plan_prune(keep=2, older_than="5d", now=NOW))

    assert got[snapshot_id("web01", 1)] == ("keep", "newest 2 of server web01")
    assert got[snapshot_id("web01", 4)] == ("keep", "created within 5 days")
    assert got[snapshot_id("web01", 5)] == ("delete", "older than 5 days, not among the newest 2 of server web01")
    got = by_id(driver_for(cloud).ex_plan_prune(keep=7, older_than="2d", now=NOW))
    assert got[snapshot_id("db01", 6)] == ("keep", "newest 7 of server db01")
    assert got[snapshot_id("db01", 7)][0] == "delete"


def test_filters_narrow_what_is_considered(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)

    only_db = driver.ex_plan_prune(keep=1, ex_filters={"server": DB}, now=NOW)
    one_name = driver.ex_plan_prune(keep=1, ex_filters={"name": "web01-7"}, now=NOW)
    both = driver.ex_plan_prune(keep=1, per=None, ex_filters={"server": [WEB, DB]}, now=NOW)

    assert {d.image.id for d in only_db} == {snapshot_id("db01", n) for n in range(10)}
    assert by_id(one_name) == {snapshot_id("web01", 7): ("keep", "newest 1 of server web01")}
    assert len(both) == 20 and sum(d.action == "keep" for d in both) == 1


# -- what is always kept -------------------------------------------------------------------------


def test_always_kept_whatever_the_rules(cloud: LocalCloud) -> None:
    store = cloud.store
    old = NOW - timedelta(days=60)
    store.add_image(image_id="saving-0000", name="web01-saving", owner=TENANT, status="saving", created=old,
                    properties={"image_type": "snapshot", "instance_uuid": WEB})  # fmt: skip
    store.add_image(image_id="retain-0000", name="db01-retained", owner=TENANT, created=old,
                    properties={"image_type": "snapshot", "instance_uuid": DB, "retain": "True"})  # fmt: skip
    store.add_image(image_id="error-0000", name="db01-broken", owner=TENANT, status="killed", created=old,
                    properties={"image_type": "snapshot", "instance_uuid": DB})  # fmt: skip
    store.add_image(image_id="deleted-0000", name="db01-deleted", owner=TENANT, status="deleted", created=old,
                    properties={"image_type": "snapshot", "instance_uuid": DB})  # fmt: skip
    store.add_server(server_id="restored-1", name="restored01", tenant=TENANT, image_id=snapshot_id("web01", 8))
    store.add_server(server_id="nameless-1", name="", tenant=TENANT, image_id=snapshot_id("db01", 9))

    plan = driver_for(cloud).ex_plan_prune(keep=1, older_than="1d", exclude_metadata={"retain": "true"}, now=NOW)

    got = by_id(plan)
    assert got["saving-0000"] == ("keep", "still SAVING")
    assert got["retain-0000"] == ("keep", "metadata retain=True")
    assert got[snapshot_id("web01", 8)] == ("keep", "in use by server restored01")
    assert got[snapshot_id("db01", 9)] == ("keep", "in use by server nameless-1")  # no name: its id
    assert got["error-0000"] == ("delete", "older than 1 day, not among the newest 1 of server db01")
    assert "deleted-0000" not in got  # gone already: not considered


def test_a_protected_snapshot_the_listing_cannot_show_is_skipped_when_the_cloud_refuses(cloud: LocalCloud) -> None:
    # Nova's image view has no "protected": the plan cannot see it, the delete is refused (403).
    cloud.store.set_protected(snapshot_id("web01", 9))
    driver = driver_for(cloud)
    plan = driver.ex_plan_prune(keep=8, now=NOW)
    assert by_id(plan)[snapshot_id("web01", 9)][0] == "delete"

    results = driver.ex_apply_prune(plan)

    refused = next(r for r in results if r.image.id == snapshot_id("web01", 9))
    assert (refused.result, refused.reason) == ("skipped", "protected, or not yours")
    assert isinstance(refused.error, BaseHTTPError) and refused.error.code == 403
    assert image_exists(cloud, snapshot_id("web01", 9))
    assert not image_exists(cloud, snapshot_id("web01", 8))


def test_the_glance_dialect_needs_the_servers_from_elsewhere() -> None:
    with LocalCloud("glance") as cloud:
        driver = driver_for(cloud)
        with pytest.raises(ValueError, match=r"cannot list servers.*pass ex_nodes"):
            driver.ex_plan_prune(keep=1)
        servers = RackImgNodeDriver(**{**cloud.driver_kwargs, "ex_dialect": "openstack"}).list_nodes()

        plan = driver.ex_plan_prune(keep=1, ex_nodes=servers, ex_filters={"server": WEB})

        assert by_id(plan)[seed.SNAPSHOT_QUEUED_ID] == ("keep", "still SAVING")
        assert {d.server for d in plan} == {"web01"}


def test_the_glance_dialect_shows_a_protected_snapshot_in_the_plan() -> None:
    with LocalCloud("glance") as cloud:
        driver = driver_for(cloud)
        servers = RackImgNodeDriver(**{**cloud.driver_kwargs, "ex_dialect": "openstack"}).list_nodes()

        plan = driver.ex_plan_prune(keep=1, ex_nodes=servers)

        assert by_id(plan)[seed.PROTECTED_IMAGE_ID] == ("keep", "protected")


# -- bad input -----------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    ({}, "give keep or older_than"),
    ({"keep": 0}, "keep must be a whole number"),
    ({"keep": -1, "older_than": "1d"}, "keep must be a whole number"),
    ({"keep": True}, "keep must be a whole number"),
    ({"keep": "3"}, "keep must be a whole number"),
    ({"older_than": "soon"}, "older_than must be an age"),
    ({"older_than": "-3d"}, "older_than must be an age"),
    ({"older_than": timedelta(0)}, "older_than must be an age"),
    ({"older_than": 30}, "older_than must be an age"),
    ({"keep": 1, "per": "image"}, "per must be 'server'"),
    ({"keep": 1, "exclude_metadata": ["retain"]}, "exclude_metadata must map"),
    ({"keep": 1, "ex_filters": {"colour": "red"}}, "unknown filter key"),
    ({"keep": 1, "ex_filters": {"server": []}}, "empty list"),
    ({"keep": 1, "now": "today"}, "now must be a datetime"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_refused_before_any_request(
    cloud: LocalCloud, arguments: dict[str, object], message: str
) -> None:
    cloud.faults.set_delay(0.0)  # counts the requests that reach the cloud
    cloud.faults.include_identity = True

    with pytest.raises(ValueError, match=message):
        driver_for(cloud).ex_plan_prune(**arguments)  # type: ignore[arg-type]

    assert cloud.faults.injected()["delay"] == 0


# -- applying a plan -----------------------------------------------------------------------------


def test_apply_deletes_what_the_plan_says_and_reports_each(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    plan = driver.ex_plan_prune(keep=8, now=NOW)
    seen: list[tuple[int, int, str]] = []

    results = driver.ex_apply_prune(plan, on_progress=lambda done, total, r: seen.append((done, total, r.result)))

    assert [r.image.id for r in results] == [d.image.id for d in plan]
    assert all(isinstance(r, PruneResult) for r in results)
    deleted = {r.image.id for r in results if r.result == "deleted"}
    assert deleted == {snapshot_id(name, n) for name in ("web01", "db01") for n in (8, 9)}
    assert all(not image_exists(cloud, image_id) for image_id in deleted)
    kept = [r for r in results if r.image.id not in deleted]
    assert all(r.result == "skipped" and r.reason.startswith("newest 8 of server") for r in kept)
    assert all(image_exists(cloud, r.image.id) for r in kept)
    assert seen == [(1, 4, "deleted"), (2, 4, "deleted"), (3, 4, "deleted"), (4, 4, "deleted")]
    assert by_id(driver.ex_plan_prune(keep=8, now=NOW)) == {
        image_id: decision for image_id, decision in by_id(plan).items() if image_id not in deleted
    }


def test_apply_looks_again_right_before_each_delete(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    plan = driver.ex_plan_prune(keep=8, ex_filters={"server": WEB}, now=NOW)
    cloud.store.delete_image(TENANT, snapshot_id("web01", 8))  # gone since the plan
    cloud.store.add_server(server_id="new-1", name="new01", tenant=TENANT, image_id=snapshot_id("web01", 9))

    results = {r.image.id: (r.result, r.reason) for r in driver.ex_apply_prune(plan)}

    assert results[snapshot_id("web01", 8)] == ("gone", "already gone")
    assert results[snapshot_id("web01", 9)] == ("skipped", "in use by server new01")
    assert image_exists(cloud, snapshot_id("web01", 9))


def test_a_snapshot_protected_between_plan_and_apply_survives(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    plan = driver.ex_plan_prune(keep=8, ex_filters={"server": DB}, now=NOW)
    cloud.store.set_protected(snapshot_id("db01", 8))

    results = {r.image.id: r for r in driver.ex_apply_prune(plan)}

    assert results[snapshot_id("db01", 8)].result == "skipped"
    assert results[snapshot_id("db01", 8)].reason.startswith("protected")
    assert image_exists(cloud, snapshot_id("db01", 8))
    assert results[snapshot_id("db01", 9)].result == "deleted" and not image_exists(cloud, snapshot_id("db01", 9))


def test_a_failure_during_apply_does_not_stop_the_others(cloud: LocalCloud) -> None:
    driver = driver_for(cloud, ex_max_retries=0)
    plan = driver.ex_plan_prune(keep=8, now=NOW)
    cloud.faults.set_errors(statuses=[503], count=1)  # the first delete's first request

    results = [r for r in driver.ex_apply_prune(plan) if r.result != "skipped"]

    first, *others = results
    assert first.result == "failed" and first.reason.startswith("503")
    assert isinstance(first.error, BaseHTTPError) and first.error.code == 503
    assert image_exists(cloud, first.image.id)
    assert [r.result for r in others] == ["deleted"] * 3
    assert all(not image_exists(cloud, r.image.id) for r in others)


def test_apply_refuses_what_is_not_a_plan(cloud: LocalCloud) -> None:
    driver = driver_for(cloud)
    with pytest.raises(ValueError, match="list of PruneDecision"):
        driver.ex_apply_prune(["web01-08"])  # type: ignore[list-item]
    image = driver.get_image(snapshot_id("web01", 1))
    with pytest.raises(ValueError, match="'keep' or 'delete'"):
        driver.ex_apply_prune([PruneDecision(image, "remove", "why not")])
    assert image_exists(cloud, snapshot_id("web01", 1))


# -- the seeded history --------------------------------------------------------------------------


def test_the_seeded_history_holds_every_kind_a_prune_must_spare() -> None:
    with LocalCloud("rackspace", seed=False, history=True) as cloud:
        plan = driver_for(cloud).ex_plan_prune(older_than="30d", exclude_metadata={"retain": "true"})

        got = by_id(plan)
        assert len(got) == 3 * seed.HISTORY_DAYS
        assert got[seed.history_image_id("web01", 0)] == ("keep", "still SAVING")
        assert got[seed.history_image_id("db01", 0)] == ("keep", "created within 30 days")  # ERROR, but new
        assert got[seed.history_image_id("db01", 40)] == ("keep", "metadata retain=true")
        assert got[seed.history_image_id("app01", 50)] == ("keep", "in use by server restored01")
        assert got[seed.history_image_id("web01", 45)] == ("delete", "older than 30 days")  # protected: see apply
        assert sum(action == "delete" for action, _ in got.values()) == 3 * 30 - 2

        results = {r.image.id: r for r in driver_for(cloud).ex_apply_prune(plan)}
        assert results[seed.history_image_id("web01", 45)].result == "skipped"
        assert sum(r.result == "deleted" for r in results.values()) == 3 * 30 - 3
