# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service registry (platform_services) is the one owner of names and ports: every role derives from it.

Renders site.yml with MongoDB grown to 5 members on another port and the core engine moved to another port, and
checks that every object that refers to them follows; and that DATABASE_URL's members follow mongodb_replicas.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HOST = "production-eu"
REGISTRY = yaml.safe_load((REPO / "roles/platform/defaults/main.yml").read_text())["platform_services"]
MOVED = {**REGISTRY, "core_engine": {**REGISTRY["core_engine"], "port": 9090}}


def ansible_playbook():
    beside = Path(sys.executable).with_name("ansible-playbook")
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


def run(collections_path, work, *args):
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("K8S_AUTH_")}
    env.update(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false")
    result = subprocess.run([ansible_playbook(), *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def objects(tmp_path_factory, collections_path):
    """kind/name -> object of a render of inventories/production with the moved registry."""
    work = tmp_path_factory.mktemp("registry")
    out = work / "manifests"
    extra = {"platform_render_dir": str(out), "platform_services": MOVED, "mongodb_replicas": 5, "mongodb_port": 27018}
    run(collections_path, work, "site.yml", "-i", "inventories/production", "-e", json.dumps(extra))
    found = {}
    for path in (out / HOST).glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc:
                found[f"{path.stem}:{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def egress_ports(policy, app):
    return [
        port["port"]
        for rule in policy["spec"].get("egress", [])
        if any(peer.get("podSelector", {}).get("matchLabels", {}).get("app") == app for peer in rule["to"])
        for port in rule["ports"]
    ]


def test_mongodb_follows_its_members_and_port(objects):
    statefulset = objects["mongodb:StatefulSet/mongodb"]
    assert statefulset["spec"]["replicas"] == 5
    assert objects["mongodb:Service/mongodb"]["spec"]["ports"][0]["port"] == 27018
    for role, name in (("core_engine", "rust-core-engine"), ("ai_service", "python-ai-service")):
        assert egress_ports(objects[f"{role}:NetworkPolicy/{name}"], "mongodb") == [27018], role


def test_everything_that_reaches_the_engine_follows_its_port(objects):
    service = objects["core_engine:Service/rust-core-engine"]
    assert [port["port"] for port in service["spec"]["ports"]] == [9090]
    container = objects["core_engine:Deployment/rust-core-engine"]["spec"]["template"]["spec"]["containers"][0]
    assert [port["containerPort"] for port in container["ports"]] == [9090]
    assert container["livenessProbe"]["httpGet"]["port"] == 9090
    assert container["readinessProbe"]["httpGet"]["port"] == 9090
    assert "port = 9090" in objects["core_engine:ConfigMap/rust-config"]["data"]["config.toml"]
    assert egress_ports(objects["dashboard:NetworkPolicy/nextjs-ui-dashboard"], "rust-core-engine") == [9090]
    routes = [objects[f"ingress:HTTPRoute/{name}"] for name in ("bot-core-api", "bot-core-websocket")]
    backends = [ref for route in routes for rule in route["spec"]["rules"] for ref in rule["backendRefs"]]
    assert {(ref["name"], ref["port"]) for ref in backends} == {("rust-core-engine", 9090)}
    virtual_service = objects["service_mesh:VirtualService/rust-core-engine"]
    destinations = {route["route"][0]["destination"]["port"]["number"] for route in virtual_service["spec"]["http"]}
    assert destinations == {9090}


def test_database_url_lists_every_member(tmp_path, collections_path):
    members = tmp_path / "members.json"
    playbook = tmp_path / "members.yml"
    tasks = [
        {
            "ansible.builtin.include_role": {
                "name": "botcore.platform.secrets",
                "tasks_from": "validate",
                "public": True,
            }
        },
        {
            "ansible.builtin.copy": {
                "content": "{{ __secrets_mongodb_members | to_json }}",
                "dest": str(members),
                "mode": "0600",
            }
        },
    ]
    playbook.write_text(yaml.safe_dump([{"hosts": "clusters", "gather_facts": False, "tasks": tasks}]))
    run(
        collections_path,
        tmp_path,
        str(playbook),
        "-i",
        "inventories/local",
        "-e",
        "mongodb_replicas=5",
        "-e",
        "mongodb_port=27018",
    )
    assert json.loads(members.read_text()) == [
        f"mongodb-{index}.mongodb.bot-core-production.svc.cluster.local:27018" for index in range(5)
    ]
