"""``rackimg servers`` and ``rackimg drivers``."""

from __future__ import annotations

import json

from rackimg_driver.emulator.seed import (
    DB_SERVER_ID,
    DEBIAN_12_ID,
    OTHER_TENANT_SERVER_ID,
    UBUNTU_2204_ID,
    WEB_SERVER_ID,
    WINDOWS_2019_ID,
    WINDOWS_SERVER_ID,
)

from .conftest import Rackimg, run_together, table


def test_servers_lists_the_tenants_servers(rs: Rackimg) -> None:
    text, as_json = run_together(lambda: rs("servers"), lambda: rs("servers", "--json"))

    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0].split() == ["ID", "NAME", "STATUS"]
    assert [(r["ID"], r["NAME"], r["STATUS"]) for r in table(text.stdout)] == [
        (WINDOWS_SERVER_ID, "win01", "SHUTOFF"),
        (DB_SERVER_ID, "db01", "ACTIVE"),
        (WEB_SERVER_ID, "web01", "ACTIVE"),
    ]
    assert OTHER_TENANT_SERVER_ID not in text.stdout
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [
        {"id": WINDOWS_SERVER_ID, "name": "win01", "status": "SHUTOFF", "image_id": WINDOWS_2019_ID},
        {"id": DB_SERVER_ID, "name": "db01", "status": "ACTIVE", "image_id": DEBIAN_12_ID},
        {"id": WEB_SERVER_ID, "name": "web01", "status": "ACTIVE", "image_id": UBUNTU_2204_ID},
    ]


def test_servers_in_the_openstack_dialect(osk: Rackimg) -> None:
    result = osk("servers")

    assert result.returncode == 0, result.stderr
    assert [r["NAME"] for r in table(result.stdout)] == ["win01", "db01", "web01"]


def test_drivers_lists_rackimg_as_loadable(rackimg: Rackimg) -> None:
    result = rackimg("drivers")

    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert result.stdout.splitlines()[0].split() == ["NAME", "TARGET", "STATUS"]
    assert {"NAME": "rackimg", "TARGET": "rackimg_driver.driver:RackImgNodeDriver", "STATUS": "ok"} in rows
    assert not [row for row in rows if row["STATUS"] != "ok"]
