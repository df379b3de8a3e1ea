#!/usr/bin/env python3
"""Smoke-check a stack brought up by stack.py against the behaviour the driver relies on.

    python tools/openstack/check_stack.py <state-dir>/stack.json

Talks only to the local services named in stack.json; exits non-zero on the first
unexpected answer. Read-only except for one DELETE that must fail (protected image)
and one that must 404 (other project's image).
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import parse_qs, urlparse

import requests

H21 = {"X-OpenStack-Nova-API-Version": "2.1"}
failures: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def token(stack: dict, user: str) -> str:
    u = stack["users"][user]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": u["username"],
                        "domain": {"name": u["user_domain_name"]},
                        "password": u["password"],
                    }
                },
            },
            "scope": {"project": {"name": u["project_name"], "domain": {"name": u["project_domain_name"]}}},
        }
    }
    r = requests.post(stack["keystone"]["v3"] + "/auth/tokens", json=body, timeout=30)
    check(r.status_code == 201 and "X-Subject-Token" in r.headers, f"v3 token for {user}: {r.status_code}")
    return r.headers["X-Subject-Token"]


def main(path: str) -> int:
    with open(path) as f:
        stack = json.load(f)
    t0 = time.monotonic()
    tok = token(stack, "demo")
    pid = stack["users"]["demo"]["project_id"]
    base = f"{stack['nova']['url']}/{pid}"
    s = requests.Session()
    s.headers.update({"X-Auth-Token": tok, **H21})

    def get(p: str, **kw) -> requests.Response:
        return s.get(base + p, timeout=60, **kw)

    seeded = {i["key"]: i for i in stack["images"]}
    visible = {i["id"]: i for i in stack["images"] if i["owner_project"] != "other"}
    bulk_ids = {b["id"] for b in stack["bulk"]["images"]}

    # full listing, following images_links
    seen: dict[str, dict] = {}
    url, pages = base + "/images/detail?limit=50", 0
    while url:
        r = s.get(url, timeout=60)
        assert r.status_code == 200, (url, r.status_code, r.text)
        body = r.json()
        pages += 1
        for im in body["images"]:
            seen[im["id"]] = im
        nxt = [ln["href"] for ln in body.get("images_links", []) if ln["rel"] == "next"]
        check(
            len(body["images"]) == 50 or not nxt,
            f"page {pages}: {len(body['images'])} images, next link {'yes' if nxt else 'no'}",
        )
        if nxt:
            q = parse_qs(urlparse(nxt[0]).query)
            check(
                q.get("marker") == [body["images"][-1]["id"]] and q.get("limit") == ["50"],
                "next link carries limit=50 and marker=<last id>",
            )
        url = nxt[0] if nxt else None
    expect_total = len(visible) + len(bulk_ids)
    check(len(seen) == expect_total, f"paged listing has {len(seen)} images, expected {expect_total} ({pages} pages)")
    for iid, want in visible.items():
        got = seen.get(iid)
        expect = (want["nova_status"], want["nova_progress"])
        have = (got["status"], got["progress"]) if got else None
        check(have == expect, f"{want['key']}: {have} == {expect}")
    check(bulk_ids <= set(seen), "all bulk images listed")
    check(seeded["other-private"]["id"] not in seen, "other project's private image not listed")

    r = get("/images/detail", params={"status": "SAVING"})
    check(r.status_code == 200 and r.json()["images"] == [], "status=SAVING matches nothing (queued shown as SAVING)")
    r = get("/images/detail", params={"status": "ACTIVE", "limit": 1000})
    want = {i for i, v in visible.items() if v["glance_status"] == "active"}
    check({i["id"] for i in r.json()["images"]} == want, "status=ACTIVE lists exactly the active images")
    r = get("/images/detail", params={"type": "snapshot", "limit": 1000})
    n_snap = len(r.json()["images"])
    check(
        n_snap > len(bulk_ids) and all(i["metadata"].get("image_type") == "snapshot" for i in r.json()["images"]),
        f"type=snapshot lists {n_snap} snapshots",
    )
    r = get("/images/detail", params={"type": "SNAPSHOT"})
    check(r.status_code == 200 and r.json()["images"] == [], "type=SNAPSHOT matches nothing")
    r = get("/images/detail", params={"minRam": 512, "limit": 1000})
    want = {i for i, v in visible.items() if v["min_ram"] == 512}
    check({i["id"] for i in r.json()["images"]} == want, f"minRam=512 is an exact match ({len(want)} images)")
    r = get("/images/detail", params={"minRam": 600})
    check(r.json()["images"] == [], "minRam=600 matches nothing (not 'at least')")

    prot = seeded["protected"]["id"]
    r = s.delete(f"{base}/images/{prot}", timeout=60)
    check(r.status_code == 403 and "forbidden" in r.json(), f"DELETE protected -> {r.status_code} {r.text}")
    other = seeded["other-private"]["id"]
    r = get(f"/images/{other}")
    check(r.status_code == 404 and "itemNotFound" in r.json(), f"GET other's image -> {r.status_code} {r.text}")
    r = s.delete(f"{base}/images/{other}", timeout=60)
    check(r.status_code == 404, f"DELETE other's image -> {r.status_code}")
    r = get("/images", headers={"X-OpenStack-Nova-API-Version": "2.36"})
    check(r.status_code == 404, f"microversion 2.36 -> {r.status_code} {r.text}")
    r = get("/images", params={"limit": 1}, headers={"X-OpenStack-Nova-API-Version": "2.35"})
    check(r.status_code == 200, f"microversion 2.35 -> {r.status_code}")
    r = get(f"/images/{seeded['snap-queued']['id']}")
    im = r.json()["image"]
    check(
        im["status"] == "SAVING"
        and im["progress"] == 25
        and im["server"]["id"] == seeded["snap-queued"]["properties"]["instance_uuid"],
        "queued snapshot: SAVING/25 with server link",
    )

    print(f"{len(failures)} failed, {time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
