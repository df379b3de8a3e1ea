"""A local cloud for tests and demos: Rackspace Cloud Servers v2 / Nova images API on 127.0.0.1.

Split as moto splits a service (models, responses, urls); one reason to change each:

- state, no HTTP: ``store`` (sqlite; ``records`` are what it hands out, ``rows`` how it lays them
  out, ``sharing`` and ``servers`` its members, tags and servers), ``identity`` (accounts and
  tokens), ``faults`` (what goes wrong), ``seed`` (demo data);
- what the services mean, no HTTP: ``profiles`` (the clouds it plays and where they differ),
  ``listing`` and ``glance_listing`` (filters and paging), ``views`` (records -> JSON);
- HTTP, no sqlite: ``routes`` (the URL table), ``admin_api``, ``identity_api``, ``compute_api``,
  ``glance_api`` (the handlers), ``answers`` (error bodies and injected faults turned into
  answers), ``wsgi`` (requests and responses), ``app`` (the WSGI application);
- serving: ``http_server`` (stdlib HTTP -> WSGI), ``server`` (:class:`LocalCloud`, :func:`serve`).

Nothing here imports the driver or libcloud. The public names are the ones below.
"""

from .app import EmulatorApp
from .faults import DropConnection, Faults
from .server import LocalCloud, local_cloud, serve
from .store import Store

__all__ = ["DropConnection", "EmulatorApp", "Faults", "LocalCloud", "Store", "local_cloud", "serve"]
