# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.helm_release_diff end to end through main(), against a stand-in for the helm command line."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.botcore.platform.plugins.modules import helm_release_diff

HELM = "/opt/helm/helm"
PASSWORD = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"
NEW_PASSWORD = "YW5vdGhlci1zZWNyZXQtcGFzc3dvcmQ="


def manifest(version="1.0.0", password=PASSWORD):
    return f"""---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
  labels:
    helm.sh/chart: web-{version}
spec:
  template:
    spec:
      containers:
        - name: web
          image: example.invalid/web:{version}
---
# Source: web/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: web
  namespace: web
data:
  password: {password}
"""


HOOKS = """---
# Source: web/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: web-migrate
  namespace: web
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
"""


class FakeHelm:
    """Answers the helm commands the module runs; records them, and the values file each dry run was given."""

    def __init__(self, release=None, status="deployed", rendered=None, dry_run_error=None, get_error=None):
        self.release = release  # (manifest, hooks) of the installed release, None when there is none
        self.status = status
        self.rendered = rendered if rendered is not None else (manifest(), HOOKS)
        self.dry_run_error = dry_run_error
        self.get_error = get_error
        self.commands = []
        self.environ = []
        self.values_files = []

    def __call__(self, command, environ_update=None, data=None):
        self.commands.append(command)
        self.environ.append(environ_update)
        assert command[0] == HELM
        verb = command[1:3]
        if verb[0] == "get":
            if self.get_error:
                return 1, "", self.get_error
            if self.release is None:
                return 1, "", "Error: release: not found\n"
            if verb[1] == "metadata":
                metadata = {"name": "web", "chart": "web", "version": "1.0.0", "appVersion": "1.0.0"}
                return 0, json.dumps(dict(metadata, revision=3, status=self.status)), ""
            return 0, self.release[0] if verb[1] == "manifest" else self.release[1], ""
        assert command[1:6] == ["upgrade", "--install", "--reset-values", "--dry-run=server", "--output=json"]
        self.values_files += [Path(arg.split("=", 1)[1]).read_text() for arg in command if arg.startswith("--values=")]
        if self.dry_run_error:
            # Helm prints nothing on stdout when a dry run fails; a stand-in that did would be caught by the test.
            return 1, manifest(), self.dry_run_error
        rendered_manifest, rendered_hooks = self.rendered
        release = {
            "name": "web",
            "version": 4,
            "chart": {"metadata": {"name": "web", "version": "1.1.0", "appVersion": "1.1.0"}},
            "config": {"password": "values-secret"},
            "manifest": rendered_manifest,
            "hooks": [{"path": "web/templates/job.yaml", "manifest": rendered_hooks}] if rendered_hooks else [],
        }
        return 0, json.dumps(release), ""

    def verbs(self):
        return [" ".join(command[1:3]) for command in self.commands]


@pytest.fixture
def run_module(capsys):
    """Run main() with these args against the fake helm; return the result."""

    def run(helm, check_mode=False, diff=False, **args):
        args = {
            "binary_path": HELM,
            "release_name": "web",
            "release_namespace": "web",
            "chart_ref": "/srv/charts/web-1.1.0.tgz",
            **args,
            "_ansible_check_mode": check_mode,
            "_ansible_diff": diff,
        }
        # None leaves an option out, as omit does in a task.
        args = {name: value for name, value in args.items() if value is not None}
        with (
            patch_module_args(args),
            mock.patch.object(AnsibleModule, "run_command", side_effect=helm),
            pytest.raises(SystemExit) as exited,
        ):
            helm_release_diff.main()
        result = json.loads(capsys.readouterr().out)
        assert (exited.value.code != 0) == bool(result.get("failed"))
        return result

    return run


def test_a_new_release_creates_every_object(run_module):
    helm = FakeHelm(release=None)
    result = run_module(helm, diff=True)
    assert result["changed"] is True
    assert result["current"] is None
    assert result["desired"] == {"revision": 4, "chart": "web", "chart_version": "1.1.0", "app_version": "1.1.0"}
    assert result["summary"] == {
        "created": ["Deployment.apps web/web", "Job.batch web/web-migrate (hook)", "Secret web/web"],
        "changed": [],
        "deleted": [],
        "unchanged": 0,
        "message": "web/web: 3 created, 0 changed, 0 deleted, 0 unchanged",
    }
    assert result["diff"] == [
        {
            "prepared": "+ created: Deployment.apps web/web\n"
            "+ created: Job.batch web/web-migrate (hook)\n"
            "+ created: Secret web/web\n"
        }
    ]
    assert helm.verbs() == ["get metadata", "upgrade --install"]
    assert result["command"] == f"{HELM} upgrade --install --reset-values --dry-run=server --output=json web " + (
        "/srv/charts/web-1.1.0.tgz"
    )


def test_a_converged_release_is_no_change(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest(), HOOKS))
    result = run_module(helm, diff=True)
    assert result["changed"] is False
    assert result["diff"] == []
    assert result["summary"]["unchanged"] == 3
    assert result["current"] == {
        "revision": 3,
        "status": "deployed",
        "chart": "web",
        "chart_version": "1.0.0",
        "app_version": "1.0.0",
    }
    assert helm.verbs() == ["get metadata", "get manifest", "get hooks", "upgrade --install"]


def test_an_upgrade_diffs_each_changed_object(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest("1.1.0"), HOOKS))
    result = run_module(helm, diff=True)
    assert result["changed"] is True
    assert result["summary"]["changed"] == ["Deployment.apps web/web"]
    [entry] = result["diff"]
    assert entry["before_header"] == "Deployment.apps web/web [revision 3, web-1.0.0]"
    assert entry["after_header"] == "Deployment.apps web/web [web-1.1.0]"
    assert "image: example.invalid/web:1.1.0" in entry["after"]


def test_a_changed_hook_is_a_change(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest(), HOOKS.replace("pre-install,", "")))
    result = run_module(helm)
    assert result["changed"] is True
    assert result["summary"]["changed"] == ["Job.batch web/web-migrate (hook)"]


def test_a_changed_secret_never_shows_its_values(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest(password=NEW_PASSWORD), HOOKS))
    result = run_module(helm, diff=True, release_values={"password": "values-secret"})
    assert result["summary"]["changed"] == ["Secret web/web"]
    [entry] = result["diff"]
    assert "password: <masked, old value>" in entry["before"]
    assert "password: <masked, new value>" in entry["after"]
    output = json.dumps(result)
    assert PASSWORD not in output and NEW_PASSWORD not in output and "values-secret" not in output


def test_the_values_file_is_the_one_kubernetes_core_helm_writes_and_is_removed(run_module):
    values = {"controller": {"service": {"type": "NodePort"}, "replicaCount": 2}}
    helm = FakeHelm(release=(manifest(), HOOKS))
    result = run_module(helm, release_values=values)
    assert helm.values_files == [yaml.dump(values, default_flow_style=False)]
    values_file = next(arg for arg in helm.commands[-1] if arg.startswith("--values="))
    assert not Path(values_file.split("=", 1)[1]).exists()
    # The values are not echoed back, but the diff shows what they render ("NodePort" is not masked anywhere).
    assert result["invocation"]["module_args"]["release_values"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_no_values_no_values_file(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS))
    run_module(helm)
    assert not [arg for arg in helm.commands[-1] if arg.startswith("--values")]


def test_chart_source_and_post_renderer_reach_the_dry_run(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS))
    run_module(
        helm,
        chart_ref="web",
        chart_repo_url="https://charts.example.invalid",
        chart_version="1.1.0",
        post_renderer="/opt/strip-webhooks",
    )
    assert helm.commands[-1][6:] == [
        "--version=1.1.0",
        "--repo=https://charts.example.invalid",
        "--post-renderer=/opt/strip-webhooks",
        "web",
        "web",
    ]


def test_helm_runs_with_kubernetes_core_helms_environment(run_module, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": []}))
    helm = FakeHelm(release=(manifest(), HOOKS))
    run_module(helm, kubeconfig=str(kubeconfig), context="production")
    for environ in helm.environ:
        assert environ["HELM_NAMESPACE"] == "web"
        assert environ["HELM_KUBECONTEXT"] == "production"
        assert "KUBECONFIG" in environ


def test_check_mode_changes_nothing_about_the_result(run_module):
    results = []
    for check_mode in (False, True):
        helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest("1.1.0"), HOOKS))
        results.append(run_module(helm, check_mode=check_mode, diff=True))
        # Only reads: helm get and a dry run, whatever the mode.
        assert helm.verbs() == ["get metadata", "get manifest", "get hooks", "upgrade --install"]
    assert results[0] == results[1]


def test_the_diff_is_returned_in_diff_mode_only(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), rendered=(manifest("1.1.0"), HOOKS))
    result = run_module(helm)
    assert result["changed"] is True
    assert "diff" not in result


def test_absent_deletes_the_manifests_objects_and_renders_nothing(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS))
    result = run_module(helm, diff=True, release_state="absent", chart_ref=None)
    assert result["changed"] is True
    assert result["desired"] is None
    assert result["summary"]["deleted"] == ["Deployment.apps web/web", "Secret web/web"]
    assert result["diff"] == [{"prepared": "- deleted: Deployment.apps web/web\n- deleted: Secret web/web\n"}]
    assert "command" not in result
    assert helm.verbs() == ["get metadata", "get manifest", "get hooks"]


def test_absent_without_a_release_is_no_change(run_module):
    helm = FakeHelm(release=None)
    result = run_module(helm, release_state="absent", chart_ref=None)
    assert result["changed"] is False
    assert result["current"] is None
    assert result["summary"]["message"] == "web/web: 0 created, 0 changed, 0 deleted, 0 unchanged"


@pytest.mark.parametrize("status", ["uninstalled", "uninstalling"])
def test_a_release_uninstalled_with_its_history_counts_as_absent(run_module, status):
    helm = FakeHelm(release=(manifest(), HOOKS), status=status)
    result = run_module(helm)
    assert result["current"] is None
    assert len(result["summary"]["created"]) == 3
    assert helm.verbs() == ["get metadata", "upgrade --install"]


def test_a_failed_release_is_compared_as_recorded(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), status="failed", rendered=(manifest(), HOOKS))
    result = run_module(helm)
    assert result["changed"] is False
    assert result["current"]["status"] == "failed"


def test_a_failed_dry_run_reports_helms_error_and_not_its_output(run_module):
    error = "Error: UPGRADE FAILED: Unable to continue with update: IngressClass nginx exists\n"
    helm = FakeHelm(release=(manifest(), HOOKS), dry_run_error=error)
    result = run_module(helm)
    assert result["failed"] is True
    assert "upgrade --install" in result["msg"]
    assert result["msg"].endswith(
        "failed (exit 1): Error: UPGRADE FAILED: Unable to continue with update: IngressClass nginx exists"
    )
    assert PASSWORD not in json.dumps(result)


def test_a_cluster_that_cannot_be_read_fails(run_module):
    helm = FakeHelm(release=(manifest(), HOOKS), get_error="Error: Kubernetes cluster unreachable\n")
    result = run_module(helm)
    assert result["failed"] is True
    assert "get metadata web --output=json failed (exit 1): Error: Kubernetes cluster unreachable" in result["msg"]


def test_output_that_cannot_be_compared_fails_naming_the_release(run_module):
    helm = FakeHelm(release=(manifest() + "---\n" + manifest().split("---\n", 2)[2], HOOKS))
    result = run_module(helm)
    assert result["failed"] is True
    assert result["msg"] == "web/web: helm get manifest holds Secret web/web twice"


def test_present_needs_a_chart(run_module):
    result = run_module(FakeHelm(), chart_ref=None)
    assert result["failed"] is True
    assert "chart_ref" in result["msg"]
