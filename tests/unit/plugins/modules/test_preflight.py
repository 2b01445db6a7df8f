# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.preflight's main(): strict fails on a blocking finding with the table, warn only warns, a
cluster that fits passes, bad input fails before any API call. botcore.platform.apply's option preflight makes the
same checks first, and a refusal applies nothing."""

from __future__ import annotations

import contextlib
import json
from typing import ClassVar
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.botcore.platform.plugins.modules import preflight as preflight_module

NS = "bot-core-production"
ENGINE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "engine", "namespace": NS},
    "spec": {
        "replicas": 2,
        "template": {
            "metadata": {"labels": {"app": "engine"}},
            "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]},
        },
    },
}


class Cluster:
    """What Cluster reads, from memory: a served Deployment API, nodes of ``cpu`` each, every access allowed, the
    namespace present unless ``namespace`` is False, every dry run accepted unless ``refusal`` says why not."""

    def __init__(self, cpu, namespace=True, refusal=None):
        self.cpu = cpu
        self.calls = 0
        self.namespace = namespace
        self.refusal = refusal
        self.dry_runs = []

    def namespace_exists(self, name):
        self.calls += 1
        return self.namespace

    def resource(self, obj):
        return obj["kind"]

    def dry_run(self, resource, obj, field_manager):
        self.dry_runs.append((resource, obj["metadata"]["name"], field_manager))
        return self.refusal

    def version(self):
        return {"gitVersion": "v1.37.2"}

    def served(self, api_version, kind):
        self.calls += 1
        return {"resource": "deployments", "namespaced": True} if kind == "Deployment" else None

    def list(self, kind, api_version, namespace=None, **selectors):
        self.calls += 1
        if kind == "Node":
            node = {
                "metadata": {"name": "n"},
                "spec": {},
                "status": {"allocatable": {"cpu": self.cpu, "memory": "8Gi"}},
            }
            return [node]
        return []

    def allowed(self, need):
        self.calls += 1
        return True


def run_main(capsys, module, args, cluster, **replaced):
    """module.main() with args, no API client, ``cluster`` as its Cluster and ``replaced`` patched in; its result."""
    with (
        patch_module_args(args),
        mock.patch.object(module, "get_api_client", return_value=None),
        mock.patch.object(module, "Cluster", return_value=cluster),
        mock.patch.multiple(module, **replaced) if replaced else contextlib.nullcontext(),
        pytest.raises(SystemExit) as exited,
    ):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert (exited.value.code != 0) == bool(result.get("failed"))
    return result


@pytest.fixture
def run_module(capsys):
    def run(cluster, **args):
        return run_main(capsys, preflight_module, {"components": {"core_engine": [ENGINE]}, **args}, cluster)

    return run


def test_a_cluster_that_fits_passes_with_the_table(run_module):
    result = run_module(Cluster("4"))
    assert not result.get("failed") and result["changed"] is False
    assert result["blocking"] == []
    assert [line.split()[0] for line in result["table"]] == [
        "CHECK",
        "version",
        "apis",
        "storage",
        "quota",
        "nodes",
        "access",
        "dry-run",
    ]
    assert result["table"][-1].split(None, 2)[1:] == ["ok", "1 objects dry-run server-side, 0 refused"]


def test_strict_fails_on_a_blocking_finding_naming_it(run_module):
    result = run_module(Cluster("1"))
    assert result["failed"] is True
    assert result["msg"].startswith("preflight refused the run (1 blocking): the cluster cannot hold the platform")
    assert len(result["table"]) == 8


def test_warn_reports_the_finding_and_does_not_fail(run_module):
    # ansible-core keeps warnings in process-wide state that other tests' modules share: look at the calls instead.
    with mock.patch.object(preflight_module.AnsibleK8SModule, "warn") as warn:
        result = run_module(Cluster("1"), mode="warn")
    assert not result.get("failed")
    messages = [call.args[0] for call in warn.call_args_list]
    assert any(m.startswith("preflight nodes: the cluster cannot hold the platform at minimum") for m in messages)


def test_components_that_are_not_lists_of_objects_fail_before_any_api_call(run_module):
    cluster = Cluster("4")
    result = run_module(cluster, components={"core_engine": "oops"})
    assert result["msg"] == "components: core_engine must be a list of objects"
    assert cluster.calls == 0


def test_components_not_rendered_come_as_null_and_are_left_out(run_module):
    result = run_module(Cluster("4"), components={"core_engine": [ENGINE], "dashboard": None})
    assert not result.get("failed")
    assert "1 kinds" in result["table"][2]


def test_the_dry_run_applies_as_the_run_field_manager_and_a_refusal_blocks_naming_component_and_object(run_module):
    cluster = Cluster("4", refusal='Deployment.apps "engine" is invalid: spec.selector: field is immutable')
    result = run_module(cluster, field_manager="ops-team")
    assert cluster.dry_runs == [("Deployment", "engine", "ops-team")]
    assert result["failed"] is True
    assert result["blocking"] == [
        f'core_engine: the API server refuses Deployment engine in namespace {NS}: Deployment.apps "engine" is '
        "invalid: spec.selector: field is immutable (set by the core_engine role's core_engine_* variables)"
    ]


def test_objects_in_a_namespace_the_run_creates_wait_for_the_apply_dry_run(run_module):
    cluster = Cluster("4", namespace=False, refusal="would be refused")
    result = run_module(cluster)
    assert cluster.dry_runs == []
    assert not result.get("failed")
    assert result["table"][-1].endswith(
        "0 objects dry-run server-side, 0 refused, 1 once the run has created their namespace or API"
    )


# --- the same checks, made by botcore.platform.apply's option preflight (site.yml's first apply run) ---


class Engine:
    """The apply engine, from memory: records in ``runs`` what it would apply."""

    runs: ClassVar[list] = []

    def __init__(self, client, params, check_mode, diff, warn):
        self.result = {"changed": False, "objects": []}

    def run(self, components):
        Engine.runs.append(components)
        return self.result


@pytest.fixture
def run_apply(capsys):
    from ansible_collections.botcore.platform.plugins.modules import apply as apply_module

    def run(cluster, **args):
        Engine.runs = []
        components = [{"name": "core_engine", "namespace": NS, "objects": [ENGINE]}]
        args = {"components": components, "wait": False, **args}
        return run_main(capsys, apply_module, args, cluster, Engine=Engine)

    return run


def test_the_apply_run_makes_the_checks_first_and_returns_their_table(run_apply):
    cluster = Cluster("4")
    result = run_apply(cluster, preflight={"components": {"core_engine": [ENGINE]}}, field_manager="ops-team")
    assert not result.get("failed")
    assert result["preflight"]["blocking"] == [] and len(result["preflight"]["table"]) == 8
    assert cluster.dry_runs == [("Deployment", "engine", "ops-team")]
    assert len(Engine.runs) == 1


def test_a_refusal_of_the_apply_run_checks_fails_it_before_anything_is_applied(run_apply):
    result = run_apply(Cluster("1"), preflight={"components": {"core_engine": [ENGINE]}})
    assert result["failed"] is True
    assert result["msg"].startswith("preflight refused the run (1 blocking): the cluster cannot hold the platform")
    assert len(result["preflight"]["table"]) == 8
    assert Engine.runs == []


@pytest.mark.parametrize(
    ("preflight", "message"),
    [
        ({"components": {}, "mode": "loud"}, "preflight: value of mode must be one of: strict, warn, got: loud"),
        ({"pending_apis": []}, "preflight: missing required arguments: components"),
        ({"components": {"core_engine": "oops"}}, "preflight.components: core_engine must be a list of objects"),
    ],
)
def test_bad_checks_of_the_apply_run_fail_it_naming_the_option(run_apply, preflight, message):
    cluster = Cluster("4")
    result = run_apply(cluster, preflight=preflight)
    assert result["failed"] is True and result["msg"] == message
    assert cluster.dry_runs == [] and Engine.runs == []


def test_the_later_slices_of_a_wait_make_no_checks(run_apply):
    cluster = Cluster("1")  # a refusal, had the checks run
    result = run_apply(cluster, preflight={"components": {"core_engine": [ENGINE]}}, resume={"pending": []})
    assert not result.get("failed") and "preflight" not in result
    assert cluster.calls == 0 and len(Engine.runs) == 1
