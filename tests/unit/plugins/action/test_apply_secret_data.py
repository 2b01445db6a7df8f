# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.apply's action plugin moves the Secrets' values to a no_log option: a task that is not no_log
masks them, and them only, even where -vvv shows the module's arguments (a failed run against no API server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VALUE = "c2VjcmV0LXZhbHVlLTQy"  # base64 of secret-value-42
METADATA = {"namespace": "bot-core"}
OBJECTS = [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {**METADATA, "name": "db"}, "data": {"pw": VALUE}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**METADATA, "name": "shown"}, "data": {"user": "admin"}},
]


def run_apply(collections_path, tmp_path):
    task = {
        "botcore.platform.apply": {
            # Nothing listens there: the module fails at its first request, after Ansible has its arguments.
            "host": "https://127.0.0.1:9",
            "api_key": "token",
            "validate_certs": False,
            "wait": False,
            "components": [{"name": "secrets", "namespace": "bot-core", "objects": OBJECTS}],
        },
    }
    path = tmp_path / "play.yml"
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-vvv"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_secret_values_are_masked_and_the_rest_shows(collections_path, tmp_path):
    done = run_apply(collections_path, tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert '"module_args"' in out, out  # -vvv shows the arguments the module ran with
    assert VALUE not in out and "secret-value-42" not in out
    assert '"pw": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in out, out
    # Only the Secrets' values: the other objects, and a value that equals no secret, show as they are.
    assert '"user": "admin"' in out and '"name": "shown"' in out
