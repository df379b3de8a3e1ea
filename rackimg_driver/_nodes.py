"""Private: the compute API's servers -> libcloud :class:`Node` (read-only, for ``list_nodes``).

Bodies of the wrong shape raise :class:`InvalidResponseError`; a status the table does not
know is ``NodeState.UNKNOWN``, with the raw status kept in ``extra["status"]``.
"""

from __future__ import annotations

from typing import Any

from libcloud.compute.base import Node, NodeDriver
from libcloud.compute.types import NodeState

from rackimg_driver.errors import InvalidResponseError

__all__ = ["NODE_STATES", "node_from_api", "nodes_from_page"]

#: Nova's server statuses, as libcloud's OpenStack driver reads them.
NODE_STATES = {
    "ACTIVE": NodeState.RUNNING,
    "BUILD": NodeState.PENDING,
    "REBUILD": NodeState.PENDING,
    "REBOOT": NodeState.REBOOTING,
    "HARD_REBOOT": NodeState.REBOOTING,
    "RESIZE": NodeState.PENDING,
    "VERIFY_RESIZE": NodeState.RUNNING,
    "REVERT_RESIZE": NodeState.PENDING,
    "MIGRATING": NodeState.PENDING,
    "PASSWORD": NodeState.PENDING,
    "RESCUE": NodeState.PENDING,
    "SHELVED": NodeState.STOPPED,
    "SHELVED_OFFLOADED": NodeState.STOPPED,
    "SHUTOFF": NodeState.STOPPED,
    "STOPPED": NodeState.STOPPED,
    "SUSPENDED": NodeState.SUSPENDED,
    "PAUSED": NodeState.PAUSED,
    "ERROR": NodeState.ERROR,
    "DELETED": NodeState.TERMINATED,
    "SOFT_DELETED": NodeState.TERMINATED,
}


def nodes_from_page(body: Any, status: int | None) -> tuple[list[Any], str | None]:
    """A page of ``GET /servers/detail``: its raw servers and its ``next`` link, if any."""
    servers = body.get("servers") if isinstance(body, dict) else None
    if not isinstance(servers, list):
        raise InvalidResponseError("the answer has no 'servers' list", status, body)
    links = body.get("servers_links")
    next_href = None
    if isinstance(links, list):
        for link in links:
            if isinstance(link, dict) and link.get("rel") == "next" and isinstance(link.get("href"), str):
                next_href = link["href"]
    return servers, next_href


def node_from_api(data: Any, driver: NodeDriver, status: int | None = None) -> Node:
    """One server: id, name, state, and in ``extra`` the image it boots from and its raw status."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise InvalidResponseError("a server has no id", status, data)
    name = data.get("name")
    raw_status = data.get("status") if isinstance(data.get("status"), str) else None
    image = data.get("image")
    image_id = image.get("id") if isinstance(image, dict) else None
    return Node(
        id=data["id"],
        name=name if isinstance(name, str) else "",
        state=NODE_STATES.get((raw_status or "").upper(), NodeState.UNKNOWN),
        public_ips=[],
        private_ips=[],
        driver=driver,
        extra={"image_id": image_id if isinstance(image_id, str) else None, "status": raw_status},
    )
