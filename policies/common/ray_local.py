"""Ray for greenroom's parallel collection: a one-machine instance bound to loopback, or a cluster.

``ray.init(address="local", _node_ip_address="127.0.0.1")`` alone does *not* keep a local Ray on
loopback (Ray 2.60 on Linux): ``services.resolve_ip_for_localhost`` replaces 127.0.0.1 with the
machine's routable address (measured here: the node registered as 192.0.2.2, eth0), so its GCS,
raylet and workers listen there. Ray keeps loopback only when
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, which it reads when ``ray`` is first imported. So
:func:`init_ray` sets that variable before importing ray for a local instance, checks the node
address after start-up, and refuses (with the fix in the message) a local instance that did not
stay on loopback. ``address`` other than ``"local"``: joins that cluster as given (the cluster's
own ``ray start --node-ip-address`` decides its addresses).
"""
from __future__ import annotations

import os
import sys
from typing import Any

LOOPBACK = "127.0.0.1"
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def init_ray(address: str, num_cpus: int, **kwargs: Any) -> Any:
    """Start (``address="local"``) or join Ray; returns the ``ray`` module. No dashboard either way.

    Raises RuntimeError when a local instance is not on 127.0.0.1 (ray was imported before
    :data:`LOOPBACK_ENV` could be set: set ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` in the environment)."""
    local = address == "local"
    if local and "ray" not in sys.modules:
        os.environ.setdefault(LOOPBACK_ENV, "0")
    import ray

    if not local:
        ray.init(address=address, include_dashboard=False, **kwargs)
        return ray
    ray.init(address="local", include_dashboard=False, _node_ip_address=LOOPBACK, num_cpus=num_cpus, **kwargs)
    addresses = sorted({node["NodeManagerAddress"] for node in ray.nodes() if node["Alive"]})
    if addresses != [LOOPBACK]:
        ray.shutdown()
        raise RuntimeError(f"the local Ray instance bound to {', '.join(addresses)} instead of {LOOPBACK}: set "
                           f"{LOOPBACK_ENV}=0 in the environment before anything imports ray")
    return ray


def ensure_ray(address: str, num_cpus: int, **kwargs: Any) -> bool:
    """:func:`init_ray` unless Ray is already initialized in this process (a caller's cluster);
    True when this call started or joined it (the caller then shuts it down)."""
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        return False
    init_ray(address, num_cpus, **kwargs)
    return True
