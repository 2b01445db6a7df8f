"""The fleet mode's pure parts: where each of N local clusters lives and listens, and the inventory of all N."""

from pathlib import Path

from tools.localcluster import local

# Each cluster's ports are the local provider's shifted by its offset (tools/localcluster/local.py); a step of 50
# keeps every port of N clusters apart (the base ports differ by 1, 2, 10, 12 and by thousands).
STEP = 50
GROUP = "clusters"
# The base ports, whatever offset this process was started with.
BASE_PORTS = {name: port - local._OFFSET for name, port in local.PORTS.items()}


class FleetError(ValueError):
    pass


def members(size, state, offset, step=STEP):
    """[(host, state directory, port offset)] of size clusters: the first is the bench cluster itself."""
    if size < 1:
        raise FleetError(f"BENCH_FLEET must be 1 or more clusters, not {size}")
    state = Path(state)
    # Siblings whose paths do not contain the first one's: the local provider takes any process whose command line
    # holds its state directory's path for its own (an orphan of a killed `up`) and stops it.
    result = [
        (f"fleet-{k}", state if k == 0 else state.with_name(f"fleet{k}-{state.name}"), offset + k * step)
        for k in range(size)
    ]
    ports = {}
    for host, _state, member_offset in result:
        for name, port in BASE_PORTS.items():
            other = ports.setdefault(port + member_offset, f"{host} {name}")
            if other != f"{host} {name}":
                raise FleetError(f"port {port + member_offset} would be both {other}'s and {host} {name}'s")
    return result


def inventory(kubeconfigs):
    """An inventory of {host: kubeconfig} as hosts of group clusters, as inventories/local's host is."""
    if not kubeconfigs:
        raise FleetError("a fleet inventory needs at least one cluster")
    hosts = {
        host: {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "platform_kubeconfig": str(path),
        }
        for host, path in kubeconfigs.items()
    }
    return {GROUP: {"hosts": hosts}}
