"""What a prune costs on the local cloud: ``python benchmarks/prune.py``.

The prune history (``LocalCloud(history=True)``: 60 nights of three servers' snapshots), a plan
keeping the newest 7 of each server and deleting those older than 30 days (``retain=true``
excluded), then its apply; prints how many snapshots, deletes, the time and the compute requests
of each step (docs/retention.rst quotes it).
"""

import time

from rackimg_driver import RackImgNodeDriver
from rackimg_driver.emulator import LocalCloud

with LocalCloud("rackspace", seed=False, history=True) as cloud:
    cloud.faults.set_delay(0.0)
    driver = RackImgNodeDriver(**cloud.driver_kwargs)
    t = time.perf_counter()
    plan = driver.ex_plan_prune(keep=7, older_than="30d", exclude_metadata={"retain": "true"})
    t_plan = time.perf_counter() - t
    n_plan = cloud.faults.injected()["delay"]
    t = time.perf_counter()
    results = driver.ex_apply_prune(plan)
    t_apply = time.perf_counter() - t
    n_apply = cloud.faults.injected()["delay"] - n_plan
    deletes = sum(d.action == "delete" for d in plan)
    print(f"snapshots={len(plan)} deletes planned={deletes} deleted={sum(r.result == 'deleted' for r in results)}")
    print(f"plan: {t_plan * 1000:.0f} ms, {n_plan} compute requests")
    print(f"apply: {t_apply * 1000:.0f} ms, {n_apply} compute requests ({n_apply / deletes:.1f} per delete)")
