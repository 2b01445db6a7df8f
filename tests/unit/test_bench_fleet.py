"""The fleet mode of `make bench` (tools/bench/fleet.py): each cluster's state and ports, and the inventory."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.bench import fleet

REPO = Path(__file__).resolve().parents[2]


def test_members_each_have_a_state_and_an_offset_of_their_own():
    assert fleet.members(3, "/c/bench", 600) == [
        ("fleet-0", Path("/c/bench"), 600),
        ("fleet-1", Path("/c/fleet1-bench"), 650),
        ("fleet-2", Path("/c/fleet2-bench"), 700),
    ]


def test_members_state_paths_hold_no_other_members_path():
    """The local provider stops every process whose command line holds its state: no member's path in another's."""
    states = [str(state) for _host, state, _offset in fleet.members(12, "/c/bench-cluster", 600)]
    assert [(a, b) for a in states for b in states if a != b and a in b] == []


def test_members_ports_never_collide_for_a_large_fleet():
    members = fleet.members(40, "/c/bench", 600)
    ports = [port + offset for _host, _state, offset in members for port in fleet.BASE_PORTS.values()]
    assert len(ports) == len(set(ports)) == 40 * len(fleet.BASE_PORTS)


def test_members_refuse_a_step_that_collides():
    # etcd's client and peer ports are one apart.
    with pytest.raises(fleet.FleetError, match=r"both fleet-0 etcd-peer's and fleet-1 etcd's"):
        fleet.members(2, "/c/bench", 600, step=1)


def test_members_refuse_an_empty_fleet():
    with pytest.raises(fleet.FleetError, match="BENCH_FLEET must be 1 or more"):
        fleet.members(0, "/c/bench", 600)


def test_inventory_lists_every_cluster_in_the_clusters_group():
    inventory = fleet.inventory({"fleet-0": Path("/s/0/kubeconfig"), "fleet-1": Path("/s/1/kubeconfig")})
    hosts = inventory["clusters"]["hosts"]
    assert list(hosts) == ["fleet-0", "fleet-1"]
    assert hosts["fleet-1"] == {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "platform_kubeconfig": "/s/1/kubeconfig",
    }


def test_inventory_refuses_no_cluster():
    with pytest.raises(fleet.FleetError, match="at least one cluster"):
        fleet.inventory({})


def test_inventory_beside_inventories_local_gets_its_group_vars(tmp_path):
    """With inventories/local and the limit the bench uses, the hosts are the fleet's, with the group's variables."""
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump(fleet.inventory({"fleet-0": tmp_path / "k0", "fleet-1": tmp_path / "k1"})))
    command = [Path(sys.executable).with_name("ansible-inventory"), "-i", "inventories/local", "-i", path, "--list"]
    listed = json.loads(
        subprocess.run(
            [*command, "--limit", "clusters:!local"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
    )
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(listed["clusters"]["hosts"]) == ["fleet-0", "fleet-1"]
    assert hostvars["fleet-1"]["platform_kubeconfig"] == str(tmp_path / "k1")
    group_vars = yaml.safe_load((REPO / "inventories/local/group_vars/clusters/main.yml").read_text())
    assert {k: hostvars["fleet-0"][k] for k in group_vars} == group_vars
