"""A local cloud for tests and demos: Rackspace Cloud Servers v2 / Nova images API on 127.0.0.1.

Layers, one reason to change each: ``store`` (state in sqlite), ``seed`` (demo data),
``views`` (records -> Nova JSON), ``dialects`` and ``listing`` (what filters mean, paging),
``identity`` (accounts and tokens), ``faults`` (what goes wrong), ``app`` (WSGI routes),
``server`` (HTTP on 127.0.0.1). Nothing here imports the driver or libcloud.
"""

from .app import EmulatorApp
from .faults import DropConnection, Faults
from .server import LocalCloud, local_cloud, serve
from .store import Store

__all__ = ["DropConnection", "EmulatorApp", "Faults", "LocalCloud", "Store", "local_cloud", "serve"]
