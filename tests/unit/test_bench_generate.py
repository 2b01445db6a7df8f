"""The anchors' inputs of `make bench` (tools/bench/generate.py), generated from a small render."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.bench import generate

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = f"""---
apiVersion: v1
kind: Namespace
metadata:
  name: {generate.PLACEHOLDER}
"""
MONITORING = f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: alerts
  namespace: {generate.PLACEHOLDER}
data:
  url: http://mongodb.{generate.PLACEHOLDER}.svc:27017
  summary: High error rate on {{{{ $labels.service }}}}
---
apiVersion: v1
kind: Service
metadata:
  name: core-engine
  namespace: {generate.PLACEHOLDER}
spec:
  ports: [{{port: 8080}}]
"""
RENDER = [("namespace", NAMESPACE), ("monitoring", MONITORING)]


def test_for_namespace_replaces_every_occurrence():
    mine = generate.objects(generate.for_namespace(RENDER, "bench-anchor-1"))
    assert [o["metadata"].get("namespace", o["metadata"]["name"]) for o in mine] == ["bench-anchor-1"] * 3
    assert mine[1]["data"]["url"] == "http://mongodb.bench-anchor-1.svc:27017"


def test_for_namespace_refuses_a_render_for_another_namespace():
    with pytest.raises(generate.GenerateError, match="not made for namespace"):
        generate.for_namespace([("namespace", NAMESPACE.replace(generate.PLACEHOLDER, "bot-core"))], "bench-anchor-1")


def test_objects_refuses_an_object_without_name():
    with pytest.raises(generate.GenerateError, match=r"monitoring: an object without kind or metadata\.name"):
        generate.objects([("monitoring", "kind: ConfigMap\nmetadata: {namespace: x}\n")])


def test_objects_refuses_an_empty_render():
    with pytest.raises(generate.GenerateError, match="no object"):
        generate.objects([("namespace", "---\n")])


def test_naive_playbook_has_one_server_side_task_per_object_in_order():
    (play,) = yaml.safe_load(generate.naive_playbook(RENDER).replace("!unsafe", ""))
    tasks = play["tasks"]
    assert [t["name"] for t in tasks] == [
        f"Apply Namespace {generate.PLACEHOLDER}",
        f"Apply ConfigMap {generate.PLACEHOLDER}/alerts",
        f"Apply Service {generate.PLACEHOLDER}/core-engine",
    ]
    for task, obj in zip(tasks, generate.objects(RENDER), strict=True):
        args = task["kubernetes.core.k8s"]
        assert args["definition"] == obj
        assert args["apply"] is True
        assert args["server_side_apply"] == {"field_manager": generate.FIELD_MANAGER}


def test_naive_playbook_sends_the_objects_own_braces_verbatim():
    text = generate.naive_playbook(RENDER)
    assert "summary: !unsafe 'High error rate on {{ $labels.service }}'" in text
    # The play's own templates are templated.
    assert "!unsafe" not in text.split("tasks:")[0]


def test_floor_playbook_applies_every_object_in_one_task():
    (play,) = yaml.safe_load(generate.floor_playbook(RENDER).replace("!unsafe", ""))
    (task,) = play["tasks"]
    assert task["kubernetes.core.k8s"]["definition"] == generate.objects(RENDER)


@pytest.mark.parametrize("make", [generate.naive_playbook, generate.floor_playbook])
def test_generated_playbooks_pass_the_syntax_check(tmp_path, make):
    path = tmp_path / "play.yml"
    path.write_text(make(RENDER))
    check = subprocess.run(
        [Path(sys.executable).with_name("ansible-playbook"), "--syntax-check", path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_syntax_check_fails_a_broken_playbook(tmp_path):
    """The syntax check above can fail: a task with two actions does not pass it."""
    path = tmp_path / "play.yml"
    (play,) = yaml.safe_load(generate.floor_playbook(RENDER).replace("!unsafe", ""))
    play["tasks"][0]["ansible.builtin.debug"] = {"msg": "x"}
    path.write_text(yaml.safe_dump([play]))
    check = subprocess.run(
        [Path(sys.executable).with_name("ansible-playbook"), "--syntax-check", path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode != 0


def test_chart_templates_are_the_rendered_files_in_order():
    chart = generate.chart(RENDER, "bench-platform")
    assert list(chart) == ["Chart.yaml", "templates/00-namespace.yaml", "templates/01-monitoring.yaml"]
    assert yaml.safe_load(chart["Chart.yaml"])["name"] == "bench-platform"
    assert chart["templates/00-namespace.yaml"] == NAMESPACE
    assert '{{ "{{" }} $labels.service }}' in chart["templates/01-monitoring.yaml"]


def test_chart_refuses_an_object_without_kind():
    with pytest.raises(generate.GenerateError, match="without kind"):
        generate.chart([("x", "metadata: {name: a}\n")], "bench-platform")
