"""The replica-set Job's script (roles/mongodb/files/rs-init.js), run by Node.js against recorded replica-set states.

rs_init_replica_set.js gives the script mongosh's connect(), print() and sleep() and members that answer as mongod
does (see its header), so each test sees the commands a real set would receive from the Job of given inputs: its
initiation, the one-member-at-a-time reconfigurations from 3 to 5 members and back, renames when the port or the
cluster domain changes, a forced reconfiguration where no primary can be elected, nothing when the set matches.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ansible_collections.botcore.platform.plugins.filter.network import mongodb_members

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "mongodb" / "files" / "rs-init.js"
HARNESS = Path(__file__).with_name("rs_init_replica_set.js")


def hosts(count, port=27017, domain="cluster.local"):
    return mongodb_members("mongodb", "mongodb", "bot-core", count, port, domain)


def config(members, version=1):
    return {"_id": "rs0", "version": version, "members": [{"_id": index, "host": host} for index, host in members]}


def run(tmp_path, desired, current=None, running=None, refusals=(), users=None, status_error=None):
    case = {
        "env": {
            "MONGODB_MEMBERS": ",".join(desired),
            "MONGODB_REPLICA_SET": "rs0",
            "MONGODB_DATABASE": "trading_bot",
            "MONGODB_AUTH_SOURCE": "admin",
            "MONGODB_CREDENTIALS_DIR": "/etc/mongodb-credentials",
        },
        "config": current,
        "running": running,
        "refusals": list(refusals),
        "users": users or {},
        "statusError": status_error,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    done = subprocess.run(["node", str(HARNESS), str(SCRIPT), str(path)], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["writes"] = [c for c in result["commands"] if not {"replSetGetStatus", "replSetGetConfig"} & c.keys()]
    return result


def members_of(result):
    return [(member["_id"], member["host"]) for member in result["config"]["members"]]


def test_a_new_set_is_initiated_with_every_member_and_the_user_created(tmp_path):
    result = run(tmp_path, hosts(3))
    assert result["error"] is None
    initiate = {"_id": "rs0", "members": config(enumerate(hosts(3)))["members"]}
    assert result["writes"][0] == {"replSetInitiate": initiate, "via": "seed"}
    assert result["writes"][1] == {
        "createUser": "app",
        "db": "admin",
        "roles": [{"role": "readWrite", "db": "trading_bot"}],
    }
    assert len(result["writes"]) == 2
    assert members_of(result) == list(enumerate(hosts(3)))


def test_a_set_that_matches_is_left_alone(tmp_path):
    result = run(tmp_path, hosts(3), config(enumerate(hosts(3)), 4), users={"admin.app": "old"})
    assert result["error"] is None
    assert [next(iter(c)) for c in result["writes"]] == ["updateUser"]
    assert result["config"]["version"] == 4
    assert "replica set rs0 has the members " + ",".join(hosts(3)).replace(",", ", ") in result["output"]


def test_three_to_five_adds_one_member_per_reconfiguration(tmp_path):
    result = run(tmp_path, hosts(5), config(enumerate(hosts(3)), 4))
    assert result["error"] is None
    reconfigs = [c for c in result["writes"] if "replSetReconfig" in c]
    assert [len(c["replSetReconfig"]["members"]) for c in reconfigs] == [4, 5]
    assert [c["replSetReconfig"]["version"] for c in reconfigs] == [5, 6]
    assert all(c["via"] == "primary" and "force" not in c and "term" not in c["replSetReconfig"] for c in reconfigs)
    assert members_of(result) == list(enumerate(hosts(5)))
    assert result["output"][:2] == [f"added member {hosts(5)[3]}", f"added member {hosts(5)[4]}"]


def test_five_to_three_removes_one_member_per_reconfiguration_the_newest_first(tmp_path):
    result = run(tmp_path, hosts(3), config(enumerate(hosts(5)), 6))
    assert result["error"] is None
    reconfigs = [c for c in result["writes"] if "replSetReconfig" in c]
    assert [len(c["replSetReconfig"]["members"]) for c in reconfigs] == [4, 3]
    assert result["output"][:2] == [f"removed member {hosts(5)[4]}", f"removed member {hosts(5)[3]}"]
    assert members_of(result) == list(enumerate(hosts(3)))


def test_a_new_port_renames_every_member_by_a_forced_reconfiguration_on_the_first(tmp_path):
    # mongod listens on the new port: no member finds itself in the configuration, no primary is elected.
    result = run(tmp_path, hosts(3, port=27018), config(enumerate(hosts(3)), 3))
    assert result["error"] is None
    reconfigs = [c for c in result["writes"] if "replSetReconfig" in c]
    assert len(reconfigs) == 1
    assert reconfigs[0]["force"] is True and reconfigs[0]["via"] == "seed"
    assert members_of(result) == list(enumerate(hosts(3, port=27018)))


def test_a_renamed_member_of_a_set_with_a_primary_is_renamed_without_force(tmp_path):
    # One member's recorded host is outdated while the others form a majority.
    current = config([(0, hosts(3)[0]), (1, hosts(3)[1]), (2, hosts(3, domain="old.local")[2])], 2)
    result = run(tmp_path, hosts(3), current)
    reconfigs = [c for c in result["writes"] if "replSetReconfig" in c]
    assert len(reconfigs) == 1 and "force" not in reconfigs[0]
    assert members_of(result) == list(enumerate(hosts(3)))


def test_seven_to_three_leaves_no_majority_so_it_is_forced_at_once(tmp_path):
    result = run(tmp_path, hosts(3), config(enumerate(hosts(7)), 9))
    reconfigs = [c for c in result["writes"] if "replSetReconfig" in c]
    assert len(reconfigs) == 1 and reconfigs[0]["force"] is True
    assert members_of(result) == list(enumerate(hosts(3)))


def test_a_refused_reconfiguration_is_decided_again_and_retried(tmp_path):
    result = run(tmp_path, hosts(5), config(enumerate(hosts(3)), 4), refusals=["ConfigurationInProgress"])
    assert result["error"] is None
    assert f"added member {hosts(5)[3]}: not accepted yet (ConfigurationInProgress), retrying" in result["output"]
    assert members_of(result) == list(enumerate(hosts(5)))


def test_a_reconfiguration_refused_thirty_times_fails_the_job(tmp_path):
    result = run(tmp_path, hosts(5), config(enumerate(hosts(3)), 4), refusals=["ConfigurationInProgress"] * 30)
    assert result["error"] == "ConfigurationInProgress"
    assert members_of(result) == list(enumerate(hosts(3)))


def test_a_member_that_refuses_the_root_user_fails_the_job_before_any_change(tmp_path):
    result = run(tmp_path, hosts(3), config(enumerate(hosts(3)), 4), status_error="Unauthorized")
    assert result["error"] == "Unauthorized"
    assert result["writes"] == []
