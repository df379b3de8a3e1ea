"""``rackimg servers`` and ``rackimg drivers``."""

from __future__ import annotations

import json

from rackimg_driver.emulator.seed import DB_SERVER_ID, OTHER_TENANT_SERVER_ID, WEB_SERVER_ID, WINDOWS_SERVER_ID

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
    servers = json.loads(as_json.stdout)
    assert [(s["id"], s["name"], s["status"]) for s in servers] == [
        (WINDOWS_SERVER_ID, "win01", "SHUTOFF"),
        (DB_SERVER_ID, "db01", "ACTIVE"),
        (WEB_SERVER_ID, "web01", "ACTIVE"),
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
