"""Start-up: what importing the package and the driver class loads."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
before = set(sys.modules)
import rackimg_driver
after_package = set(sys.modules) - before
from rackimg_driver import RackImgNodeDriver
after_class = set(sys.modules) - before
parser_before_use = "orjson" in sys.modules
name = rackimg_driver.json_parser()
print("PROBE " + json.dumps({
    "package": sorted(after_package),
    "class_heavy": sorted(m for m in after_class if m.split(".")[0] in ("orjson", "openstack", "stevedore")),
    "class_emulator": sorted(m for m in after_class if m.startswith("rackimg_driver.emulator")),
    "parser_before_use": parser_before_use,
    "parser": name,
}))
"""


def probe() -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line[len("PROBE ") :])  # type: ignore[no-any-return]


HEAVY = ("libcloud", "requests", "urllib3", "orjson", "stevedore", "openstack")


def test_importing_the_package_loads_none_of_its_modules_or_dependencies() -> None:
    loaded = probe()["package"]
    assert isinstance(loaded, list)
    assert "rackimg_driver" in loaded
    # Its public names load on first use (PEP 562); the standard library may come along.
    assert [name for name in loaded if name.startswith("rackimg_driver.")] == []
    assert [name for name in loaded if name.split(".")[0] in HEAVY] == []


def test_the_driver_class_loads_no_parser_plugin_machinery_or_local_cloud() -> None:
    found = probe()
    assert found["class_heavy"] == []
    assert found["class_emulator"] == []
    # The JSON parser is chosen at the first answer, not at import.
    assert found["parser_before_use"] is False


def test_json_parser_names_the_parser_in_use() -> None:
    try:
        import orjson
    except ImportError:
        expected = "json (stdlib)"
    else:
        expected = f"orjson {orjson.__version__}"
    assert probe()["parser"] == expected
