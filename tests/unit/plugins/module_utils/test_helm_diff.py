# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing, comparing and masking of botcore.platform.helm_release_diff, on Helm output written for these tests."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.botcore.platform.plugins.module_utils.helm_diff import (
    MASKED,
    MASKED_AFTER,
    MASKED_BEFORE,
    HelmDiffError,
    compare,
    current_objects,
    dump_values,
    mask_secret,
    object_key,
    object_name,
    parse_dry_run,
    parse_metadata,
    parse_objects,
    summary_message,
    upgrade_command,
    without_hooks,
)

# What `helm get manifest` prints: `---` separators, `# Source:` comments, an empty template, cluster-scoped objects.
MANIFEST = """---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: web
---
# Source: web/templates/empty.yaml
---
# Source: web/templates/clusterrole.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: web
rules: []
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
  labels:
    helm.sh/chart: web-1.0.0
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: web
          image: example.invalid/web:1.0.0
"""

# What `helm get hooks` prints.
HOOKS = """---
# Source: web/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: web-migrate
  namespace: web
  annotations:
    helm.sh/hook: pre-upgrade
"""

DEPLOYMENT = ("", "apps", "Deployment", "web", "web")


def _docs(text):
    return [doc for doc in yaml.safe_load_all(text) if doc]


def dry_run_release(manifest=MANIFEST, hooks=HOOKS, version="1.0.0", revision=2):
    """A release as `helm upgrade --install --dry-run=server --output=json` prints it (the parts read here)."""
    return json.dumps(
        {
            "name": "web",
            "namespace": "web",
            "version": revision,
            "info": {"status": "pending-upgrade"},
            "chart": {"metadata": {"name": "web", "version": version, "appVersion": version}, "templates": []},
            "config": {"replicas": 1},
            "manifest": manifest,
            "hooks": [
                {"name": "web-migrate", "kind": "Job", "path": "web/templates/job.yaml", "manifest": hooks},
            ],
        }
    )


def test_object_key_uses_the_api_group_not_the_version():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"}}
    beta = dict(deployment, apiVersion="apps/v1beta2")
    assert object_key(deployment) == object_key(beta) == (False, "apps", "Deployment", "web", "web")
    assert object_key({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, hook=True) == (
        True,
        "",
        "Secret",
        "",
        "s",
    )


@pytest.mark.parametrize(
    "document",
    [
        {"kind": "Deployment", "metadata": {"name": "web"}},
        {"apiVersion": "apps/v1", "metadata": {"name": "web"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": "web"},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": ""}},
    ],
)
def test_object_key_refuses_what_is_not_a_kubernetes_object(document):
    with pytest.raises(HelmDiffError, match=r"apiVersion, kind and metadata\.name"):
        object_key(document)


def test_object_name_reads_like_kubectl():
    assert object_name((False, "apps", "Deployment", "web", "web")) == "Deployment.apps web/web"
    assert object_name((False, "", "Service", "web", "web")) == "Service web/web"
    assert object_name((False, "rbac.authorization.k8s.io", "ClusterRole", "", "web")) == (
        "ClusterRole.rbac.authorization.k8s.io web"
    )
    assert object_name((True, "batch", "Job", "web", "web-migrate")) == "Job.batch web/web-migrate (hook)"


def test_current_objects_reads_manifest_and_hooks_and_skips_empty_documents():
    objects = current_objects(MANIFEST, HOOKS)
    assert sorted(objects) == [
        (False, "", "ServiceAccount", "web", "web"),
        (False, "apps", "Deployment", "web", "web"),
        (False, "rbac.authorization.k8s.io", "ClusterRole", "", "web"),
        (True, "batch", "Job", "web", "web-migrate"),
    ]
    assert objects[(False, *DEPLOYMENT[1:])]["spec"]["replicas"] == 1


def test_current_objects_of_an_empty_release_is_empty():
    assert current_objects("", "") == {}


def test_parse_objects_refuses_an_object_twice():
    twice = MANIFEST + "---\n" + MANIFEST.rsplit("---\n", maxsplit=1)[-1]
    with pytest.raises(HelmDiffError, match=r"helm get manifest holds Deployment.apps web/web twice"):
        parse_objects(twice, "helm get manifest")


def test_parse_objects_refuses_a_document_that_is_not_a_map():
    with pytest.raises(HelmDiffError, match="holds a list where a Kubernetes object belongs"):
        parse_objects("- a\n- b\n", "helm get hooks")


def test_invalid_yaml_is_reported_by_position_without_its_text():
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: [hunter2\n"
    with pytest.raises(HelmDiffError) as error:
        parse_objects(text, "helm get manifest")
    assert "helm get manifest is not valid YAML at line" in str(error.value)
    assert "hunter2" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_the_same_object_as_a_hook_and_in_the_manifest_are_two_objects():
    hook = MANIFEST.rsplit("---\n", maxsplit=1)[-1]
    assert len(current_objects(MANIFEST, hook)) == 4


def test_without_hooks_keeps_the_manifest_objects():
    assert sorted(without_hooks(current_objects(MANIFEST, HOOKS))) == sorted(current_objects(MANIFEST, ""))


def test_parse_dry_run_gives_the_objects_and_the_chart():
    objects, chart = parse_dry_run(dry_run_release(version="1.1.0", revision=3))
    assert objects == current_objects(MANIFEST, HOOKS)
    assert chart == {"revision": 3, "chart": "web", "chart_version": "1.1.0", "app_version": "1.1.0"}


def test_parse_dry_run_of_a_release_without_hooks():
    release = json.loads(dry_run_release())
    release["hooks"] = None
    objects, _chart = parse_dry_run(json.dumps(release))
    assert objects == current_objects(MANIFEST, "")


@pytest.mark.parametrize("stdout", ["", "Release has been upgraded. Happy Helming!", "[1, 2]"])
def test_parse_dry_run_refuses_what_is_not_a_release(stdout):
    with pytest.raises(HelmDiffError, match="did not print a release as JSON"):
        parse_dry_run(stdout)


def test_parse_dry_run_names_the_hook_that_is_broken():
    release = json.loads(dry_run_release(hooks="kind: Job\n"))
    with pytest.raises(HelmDiffError, match=r"^the dry run's hook web/templates/job\.yaml: every object"):
        parse_dry_run(json.dumps(release))


def test_parse_metadata():
    stdout = json.dumps(
        {"name": "web", "chart": "web", "version": "1.0.0", "appVersion": "2.0", "revision": 4, "status": "failed"}
    )
    assert parse_metadata(stdout) == {
        "revision": 4,
        "status": "failed",
        "chart": "web",
        "chart_version": "1.0.0",
        "app_version": "2.0",
    }
    with pytest.raises(HelmDiffError, match="helm get metadata did not print JSON"):
        parse_metadata("Error: release: not found")


def test_compare_of_the_same_objects_is_no_change():
    objects = current_objects(MANIFEST, HOOKS)
    reordered = current_objects(
        MANIFEST.replace("  name: web\n  namespace: web\n  labels:", "  namespace: web\n  name: web\n  labels:"), HOOKS
    )
    summary, diff = compare(objects, reordered, "revision 1, web-1.0.0", "web-1.0.0")
    assert summary == {"created": [], "changed": [], "deleted": [], "unchanged": 4}
    assert diff == []


def test_compare_diffs_a_changed_object_line_by_line():
    before = current_objects(MANIFEST, HOOKS)
    after = current_objects(MANIFEST.replace("web:1.0.0", "web:1.1.0").replace("web-1.0.0", "web-1.1.0"), HOOKS)
    summary, diff = compare(before, after, "revision 1, web-1.0.0", "web-1.1.0")
    assert summary == {"created": [], "changed": ["Deployment.apps web/web"], "deleted": [], "unchanged": 3}
    [entry] = diff
    assert entry["before_header"] == "Deployment.apps web/web [revision 1, web-1.0.0]"
    assert entry["after_header"] == "Deployment.apps web/web [web-1.1.0]"
    assert "image: example.invalid/web:1.0.0" in entry["before"]
    assert "image: example.invalid/web:1.1.0" in entry["after"]
    # Sorted keys, like kubectl: apiVersion first, then kind, metadata, spec.
    assert entry["after"].splitlines()[:2] == ["apiVersion: apps/v1", "kind: Deployment"]


def test_compare_names_created_and_deleted_objects_without_their_content():
    before = current_objects(MANIFEST, HOOKS)
    after = dict(before)
    del after[(True, "batch", "Job", "web", "web-migrate")]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web", "namespace": "web"}}
    after[object_key(secret)] = dict(secret, data={"token": "c2VjcmV0"})
    summary, diff = compare(before, after, "revision 1, web-1.0.0", "web-1.0.0")
    assert summary == {
        "created": ["Secret web/web"],
        "changed": [],
        "deleted": ["Job.batch web/web-migrate (hook)"],
        "unchanged": 3,
    }
    assert diff == [{"prepared": "+ created: Secret web/web\n- deleted: Job.batch web/web-migrate (hook)\n"}]


def test_compare_of_a_new_release_creates_everything():
    summary, diff = compare({}, current_objects(MANIFEST, HOOKS), "no release", "web-1.0.0")
    assert summary["created"] == [
        "ClusterRole.rbac.authorization.k8s.io web",
        "Deployment.apps web/web",
        "Job.batch web/web-migrate (hook)",
        "ServiceAccount web/web",
    ]
    assert summary["changed"] == summary["deleted"] == []
    assert [set(entry) for entry in diff] == [{"prepared"}]


def secret(data=None, string_data=None, labels=None):
    document = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "web"}}
    if labels:
        document["metadata"]["labels"] = labels
    if data is not None:
        document["data"] = data
    if string_data is not None:
        document["stringData"] = string_data
    return document


def test_mask_secret_marks_changed_values_differently_on_each_side():
    before = secret(data={"user": "YWRtaW4=", "password": "b2xk", "gone": "eA=="}, string_data={"url": "db://old"})
    after = secret(data={"user": "YWRtaW4=", "password": "bmV3", "new": "eQ=="}, string_data={"url": "db://new"})
    masked_before, masked_after = mask_secret(before, after)
    assert masked_before["data"] == {"user": MASKED, "password": MASKED_BEFORE, "gone": MASKED}
    assert masked_after["data"] == {"user": MASKED, "password": MASKED_AFTER, "new": MASKED}
    assert masked_before["stringData"] == {"url": MASKED_BEFORE}
    assert masked_after["stringData"] == {"url": MASKED_AFTER}
    # The originals are untouched: they are what the change was decided on.
    assert before["data"]["password"] == "b2xk"


def test_mask_secret_masks_a_field_that_is_not_a_map_whole():
    masked_before, masked_after = mask_secret(secret(data="b2xk"), secret(data="bmV3"))
    assert (masked_before["data"], masked_after["data"]) == (MASKED_BEFORE, MASKED_AFTER)
    masked_before, masked_after = mask_secret(secret(), secret(string_data="plain"))
    assert "stringData" not in masked_before
    assert masked_after["stringData"] == MASKED


def test_a_changed_secret_shows_which_keys_change_and_no_value():
    values = {"before": "b2xkLXBhc3N3b3Jk", "after": "bmV3LXBhc3N3b3Jk", "kept": "dW5jaGFuZ2Vk", "plain": "p4ss"}
    before = {object_key(secret()): secret(data={"password": values["before"], "user": values["kept"]})}
    after = {
        object_key(secret()): secret(
            data={"password": values["after"], "user": values["kept"]}, string_data={"x": "p4ss"}
        )
    }
    summary, diff = compare(before, after, "revision 1, db-1.0.0", "db-1.0.0")
    assert summary["changed"] == ["Secret web/db"]
    [entry] = diff
    text = entry["before"] + entry["after"]
    assert not [value for value in values.values() if value in text]
    assert f"password: {MASKED_BEFORE}" in entry["before"]
    assert f"password: {MASKED_AFTER}" in entry["after"]
    assert f"user: {MASKED}" in entry["before"] and f"user: {MASKED}" in entry["after"]


def test_a_secret_whose_labels_change_shows_the_labels_and_masks_the_values():
    before = {object_key(secret()): secret(data={"password": "c2VjcmV0"}, labels={"helm.sh/chart": "db-1.0.0"})}
    after = {object_key(secret()): secret(data={"password": "c2VjcmV0"}, labels={"helm.sh/chart": "db-1.1.0"})}
    _summary, [entry] = compare(before, after, "revision 1, db-1.0.0", "db-1.1.0")
    assert "helm.sh/chart: db-1.1.0" in entry["after"]
    assert "c2VjcmV0" not in entry["before"] + entry["after"]


def test_a_secret_of_another_api_group_is_not_masked():
    # Only the core API's Secret holds secret data by contract; a custom kind named Secret is an ordinary object.
    custom = {"apiVersion": "example.invalid/v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "1"}}
    changed = dict(custom, data={"a": "2"})
    _summary, [entry] = compare({object_key(custom): custom}, {object_key(changed): changed}, "a", "b")
    assert "a: '2'" in entry["after"]


def test_summary_message():
    summary = {"created": ["a"], "changed": ["b", "c"], "deleted": [], "unchanged": 7}
    assert summary_message("web/web", summary) == "web/web: 1 created, 2 changed, 0 deleted, 7 unchanged"


def test_upgrade_command_passes_what_kubernetes_core_helm_passes():
    params = {
        "release_name": "web",
        "chart_ref": "web",
        "chart_repo_url": "https://charts.example.invalid",
        "chart_version": "1.1.0",
        "post_renderer": "/opt/strip-webhooks",
    }
    assert upgrade_command("helm", params, "/tmp/values.yml") == [
        "helm",
        "upgrade",
        "--install",
        "--reset-values",
        "--dry-run=server",
        "--output=json",
        "--version=1.1.0",
        "--repo=https://charts.example.invalid",
        "--values=/tmp/values.yml",
        "--post-renderer=/opt/strip-webhooks",
        "web",
        "web",
    ]


def test_upgrade_command_leaves_out_what_is_not_set():
    params = {"release_name": "web", "chart_ref": "/srv/web-1.0.0.tgz", "chart_repo_url": None, "chart_version": None}
    assert upgrade_command("helm", params, None) == [
        "helm",
        "upgrade",
        "--install",
        "--reset-values",
        "--dry-run=server",
        "--output=json",
        "web",
        "/srv/web-1.0.0.tgz",
    ]


def test_dump_values_is_kubernetes_core_helms_values_file():
    values = {"controller": {"service": {"type": "NodePort"}, "replicaCount": 2}, "a": ["x"]}
    assert dump_values(values) == yaml.dump(values, default_flow_style=False)
    assert dump_values(values).startswith("a:\n- x\ncontroller:\n")
