# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.preflight's rules, each with a passing and a failing case, and run() on a fake cluster."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.botcore.platform.plugins.module_utils import preflight as p

NS = "bot-core-production"


def container(name="app", cpu="1", memory="1Gi", limit_cpu="2", limit_memory="2Gi"):
    return {
        "name": name,
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": limit_cpu, "memory": limit_memory}},
    }


def deployment(name="engine", replicas=3, containers=None, anti_affinity=False, **spec):
    template = {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": containers or [container()], **spec},
    }
    if anti_affinity:
        template["spec"]["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": name}}, "topologyKey": "kubernetes.io/hostname"}
                ]
            }
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "template": template},
    }


def hpa(target="engine", minimum=2, maximum=10):
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"{target}-hpa", "namespace": NS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": minimum,
            "maxReplicas": maximum,
        },
    }


def quota(**hard):
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": NS},
        "spec": {"hard": hard},
    }


def limit_range(*limits):
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "lr", "namespace": NS},
        "spec": {"limits": list(limits)},
    }


def node(name, cpu="4", memory="16Gi", taints=None, labels=None, unschedulable=False):
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def blocking(findings):
    return [f["message"] for f in findings if f["blocking"]]


# --- version ---


def test_version_at_the_minimum_passes():
    row, findings = p.check_version({"gitVersion": "v1.27.0"}, "1.27")
    assert row["result"] == "ok" and findings == []


def test_version_below_the_minimum_is_refused_with_both_versions():
    row, findings = p.check_version({"gitVersion": "v1.26.9"}, "1.27")
    assert row["result"] == "fail"
    assert blocking(findings) == ["the cluster runs Kubernetes v1.26.9; the platform needs 1.27 or later"]


def test_version_from_major_and_minor_with_a_plus():
    _row, findings = p.check_version({"major": "1", "minor": "30+"}, "1.27")
    assert findings == []


def test_version_bad_minimum_is_an_input_error():
    with pytest.raises(p.PreflightError, match="minimum_version"):
        p.check_version({"gitVersion": "v1.30.0"}, "latest")


# --- APIs ---

VS = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "engine", "namespace": NS}}


def test_apis_served_or_pending_pass():
    components = {"core_engine": [deployment()], "service_mesh": [VS]}
    row, findings = p.check_apis(components, {"apps/v1/Deployment": {}}, {"networking.istio.io/v1/VirtualService"})
    assert findings == []
    assert row["detail"] == "2 kinds: 1 served, 1 from add-ons of this run, 0 missing"


def test_apis_a_missing_crd_is_named():
    row, findings = p.check_apis({"service_mesh": [VS]}, {}, set())
    assert row["result"] == "fail"
    assert blocking(findings) == [
        "networking.istio.io/v1/VirtualService: CRD virtualservices.networking.istio.io is not installed (or does not "
        "serve v1), and no add-on of this run installs it (platform_prerequisites); needed by service_mesh: engine"
    ]


def test_plural_follows_crd_naming():
    assert [p.plural(k) for k in ("Gateway", "HTTPRoute", "NetworkPolicy", "Ingress", "Gateway")] == [
        "gateways",
        "httproutes",
        "networkpolicies",
        "ingresses",
        "gateways",
    ]


# --- storage ---


def pvc(name="data", storage_class=None):
    spec = {"resources": {"requests": {"storage": "10Gi"}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


DEFAULT_CLASS = {
    "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}
}
FAST = {"metadata": {"name": "fast-ssd"}}


def test_storage_named_class_and_default_class_pass():
    _row, findings = p.check_storage({"ai_service": [pvc("a", "fast-ssd"), pvc("b")]}, [DEFAULT_CLASS, FAST])
    assert findings == []


def test_storage_an_unknown_class_is_refused():
    _row, findings = p.check_storage({"ai_service": [pvc("a", "gold")]}, [DEFAULT_CLASS, FAST])
    assert blocking(findings) == [
        "PersistentVolumeClaim a (ai_service) names StorageClass gold, which the cluster does not have "
        "(StorageClasses: fast-ssd, standard)"
    ]


def test_storage_no_class_without_a_default_is_refused_and_templates_count():
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "mongodb", "namespace": NS},
        "spec": {"replicas": 3, "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}]},
    }
    _row, findings = p.check_storage({"mongodb": [sts]}, [FAST])
    assert blocking(findings) == [
        "StatefulSet mongodb volumeClaimTemplate data (mongodb) names no StorageClass and the cluster has no default "
        "class (StorageClasses: fast-ssd)"
    ]


# --- quota and limit range ---


def test_quota_holding_minimum_and_maximum_passes():
    components = {"namespace": [quota(**{"requests.cpu": "10", "pods": "10"})], "core_engine": [deployment(), hpa()]}
    row, findings = p.check_quota(components, {}, {})
    assert findings == []
    assert "minimum 2 CPU" in row["detail"] and "maximum 10 CPU" in row["detail"]


def test_quota_too_small_at_minimum_is_refused_with_the_numbers():
    components = {"namespace": [quota(**{"requests.cpu": "1500m"})], "core_engine": [deployment(), hpa()]}
    _row, findings = p.check_quota(components, {}, {})
    assert blocking(findings) == [
        f"ResourceQuota q (namespace_quota) in {NS} allows requests.cpu 1500m, but the platform needs 2 at minimum "
        "replicas (2 x 1 Deployment engine (core_engine_hpa))"
    ]


def test_quota_too_small_at_the_hpa_maximum_is_refused():
    components = {"namespace": [quota(pods="5")], "core_engine": [deployment(), hpa()]}
    _row, findings = p.check_quota(components, {}, {})
    assert len(blocking(findings)) == 1
    assert "allows pods 5, but the platform needs 10 at maximum replicas" in blocking(findings)[0]


def test_quota_the_live_one_counts_when_none_is_rendered():
    components = {"core_engine": [deployment(replicas=3)]}
    _row, findings = p.check_quota(components, {NS: [quota(**{"limits.memory": "4Gi"})]}, {})
    assert "ResourceQuota q (in the cluster)" in blocking(findings)[0]
    assert "allows limits.memory 4Gi, but the platform needs 6Gi" in blocking(findings)[0]


def test_quota_claims_count_and_storage():
    components = {"namespace": [quota(persistentvolumeclaims="1", **{"requests.storage": "15Gi"})]}
    components["ai_service"] = [pvc("a"), pvc("b")]
    _row, findings = p.check_quota(components, {}, {})
    messages = blocking(findings)
    assert any("allows persistentvolumeclaims 1, but the platform needs 2" in m for m in messages)
    assert any("allows requests.storage 15Gi, but the platform needs 20Gi" in m for m in messages)


def test_limit_range_admitting_every_container_passes():
    lr = limit_range({"type": "Container", "max": {"cpu": "4"}, "min": {"cpu": "100m"}})
    _row, findings = p.check_quota({"namespace": [lr], "core_engine": [deployment()]}, {}, {})
    assert findings == []


def test_limit_range_max_below_a_limit_is_refused_naming_the_resources():
    lr = limit_range({"type": "Container", "max": {"cpu": "1"}})
    _row, findings = p.check_quota({"namespace": [lr], "core_engine": [deployment()]}, {}, {})
    assert blocking(findings) == [
        f"core_engine_resources: pods of Deployment engine would be rejected in {NS}: container app limits.cpu 2 is "
        "above LimitRange lr max 1 (namespace_limits)"
    ]


def test_limit_range_ratio_is_enforced():
    lr = limit_range({"type": "Container", "maxLimitRequestRatio": {"memory": "1.5"}})
    _row, findings = p.check_quota({"namespace": [lr], "core_engine": [deployment()]}, {}, {})
    assert "a ratio of 2, above LimitRange lr maxLimitRequestRatio 1.5" in blocking(findings)[0]


def test_limit_range_defaults_fill_in_missing_requests_before_the_quota():
    bare = deployment(containers=[{"name": "app"}], replicas=2)
    lr = limit_range({"type": "Container", "defaultRequest": {"cpu": "3"}, "default": {"cpu": "3"}})
    _row, findings = p.check_quota({"namespace": [lr, quota(**{"requests.cpu": "5"})], "core_engine": [bare]}, {}, {})
    assert "needs 6 at minimum" in blocking(findings)[0]


# --- nodes ---


def test_nodes_that_hold_the_minimum_pass_and_report_the_headroom():
    row, findings = p.check_nodes({"core_engine": [deployment(), hpa(maximum=4)]}, [node("a"), node("b")], [], {})
    assert findings == []
    assert "headroom 4 CPU" in row["detail"]


def test_nodes_too_small_at_minimum_are_refused_with_the_numbers():
    taint = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    nodes = [node("master", taints=taint), node("w1"), node("w2")]
    engine = deployment(containers=[container(cpu="1500m")], replicas=6)
    _row, findings = p.check_nodes({"core_engine": [engine]}, nodes, [], {})
    assert blocking(findings) == [
        "the cluster cannot hold the platform at minimum replicas: 6 pods request 9 CPU and 6Gi memory on 2 "
        "schedulable node(s) w1, w2 with 8 CPU / 32Gi free; not used: master (taint "
        "node-role.kubernetes.io/control-plane:NoSchedule not tolerated); 2 pod(s) fit nowhere: 2 x Deployment "
        "engine (1.5 CPU, 1Gi each; core_engine_replicas)"
    ]


def test_nodes_at_the_maximum_that_do_not_fit_are_a_warning():
    _row, findings = p.check_nodes({"core_engine": [deployment(), hpa(maximum=20)]}, [node("a")], [], {})
    assert blocking(findings) == []
    assert "at maximum replicas" in findings[0]["message"]


def test_required_anti_affinity_keeps_one_pod_per_node():
    engine = deployment(containers=[container(cpu="100m")], replicas=3, anti_affinity=True)
    _row, findings = p.check_nodes({"core_engine": [engine]}, [node("a"), node("b")], [], {})
    assert "1 pod(s) fit nowhere" in blocking(findings)[0]
    _row, findings = p.check_nodes({"core_engine": [engine]}, [node("a"), node("b"), node("c")], [], {})
    assert findings == []


def test_tolerated_taint_and_matching_selector_make_a_node_usable():
    taint = [{"key": "dedicated", "value": "trading", "effect": "NoSchedule"}]
    engine = deployment(
        replicas=2,
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "trading", "effect": "NoSchedule"}],
        nodeSelector={"pool": "trading"},
    )
    nodes = [node("t1", taints=taint, labels={"pool": "trading"}), node("t2", taints=taint, labels={"pool": "trading"})]
    _row, findings = p.check_nodes({"core_engine": [engine]}, nodes, [], {})
    assert findings == []
    nodes[1]["metadata"]["labels"]["pool"] = "general"
    assert p.why_not(nodes[1], engine["spec"]["template"]["spec"]) == "nodeSelector pool=trading does not match"


def test_cordoned_nodes_and_other_tenants_requests_leave_less_room():
    other = {
        "metadata": {"namespace": "other", "labels": {}},
        "spec": {"nodeName": "a", "containers": [container(cpu="3")]},
    }
    own = {
        "metadata": {"namespace": NS, "labels": {"app": "engine", "pod-template-hash": "x"}},
        "spec": {"nodeName": "a", "containers": [container(cpu="3")]},
    }
    engine = deployment(replicas=2)
    _row, findings = p.check_nodes({"core_engine": [engine]}, [node("a"), node("b", unschedulable=True)], [own], {})
    assert findings == []  # the platform's own pod is replaced, not counted
    _row, findings = p.check_nodes({"core_engine": [engine]}, [node("a"), node("b", unschedulable=True)], [other], {})
    assert "b (unschedulable (cordoned))" in blocking(findings)[0]
    assert "1 pod(s) fit nowhere" in blocking(findings)[0]


# --- access ---


def test_access_needs_cover_objects_reads_and_preflight():
    needs = p.access_needs(
        {"core_engine": [deployment()]}, {"apps/v1/Deployment": {"resource": "deployments", "namespaced": True}}
    )
    keys = {(n["group"], n["resource"], n["namespace"], n["verb"]) for n in needs}
    assert {("apps", "deployments", NS, v) for v in ("get", "create", "patch")} <= keys
    assert ("apps", "replicasets", NS, "list") in keys
    assert ("", "nodes", "", "list") in keys
    assert ("", "resourcequotas", NS, "list") in keys


def test_access_all_allowed_passes():
    needs = p.access_needs({"core_engine": [deployment()]}, {})
    row, findings = p.check_access(needs, [True] * len(needs))
    assert findings == [] and row["result"] == "ok"


def test_access_a_denied_verb_is_named_with_the_resource_and_namespace():
    needs = p.access_needs({"core_engine": [deployment()]}, {})
    allowed = [not (n["resource"] == "deployments" and n["verb"] == "patch") for n in needs]
    _row, findings = p.check_access(needs, allowed)
    assert blocking(findings) == [
        f"the deploy identity may not patch deployments.apps in namespace {NS} (needed by core_engine)"
    ]


def test_access_deletes_become_needs():
    needs = p.extra_needs(
        [{"api_version": "networking.k8s.io/v1", "kind": "Ingress", "namespace": NS, "why": "ingress"}], {}
    )
    assert needs == [
        {"group": "networking.k8s.io", "resource": "ingresses", "namespace": NS, "verb": "delete", "why": "ingress"}
    ]


# --- run and table ---


class FakeCluster:
    def __init__(self, served, objects, denied=()):
        self._served = served
        self._objects = objects
        self._denied = set(denied)
        self.writes = 0

    def version(self):
        return {"gitVersion": "v1.37.2"}

    def served(self, api_version, kind):
        return self._served.get(f"{api_version}/{kind}")

    def list(self, kind, api_version, namespace=None, **selectors):
        return copy.deepcopy(self._objects.get(kind, []))

    def allowed(self, need):
        return (need["resource"], need["verb"]) not in self._denied

    def namespace_exists(self, name):
        return True

    def resource(self, obj):
        return obj["kind"]

    def dry_run(self, resource, obj, field_manager):
        return None


SERVED = {
    "apps/v1/Deployment": {"resource": "deployments", "namespaced": True},
    "autoscaling/v2/HorizontalPodAutoscaler": {"resource": "horizontalpodautoscalers", "namespaced": True},
}


def test_run_on_a_cluster_that_fits_has_no_finding():
    cluster = FakeCluster(SERVED, {"Node": [node("a"), node("b")], "StorageClass": [DEFAULT_CLASS]})
    rows, findings = p.run(cluster, {"core_engine": [deployment(), hpa(maximum=4)]}, [], "1.27")
    assert [r["check"] for r in rows] == ["version", "apis", "storage", "quota", "nodes", "access", "dry-run"]
    assert findings == []
    lines = p.table(rows)
    assert lines[0].split() == ["CHECK", "RESULT", "NUMBERS"] and len(lines) == 8


def test_dry_run_targets_leave_the_unserved_kinds_and_absent_namespaces_for_later():
    served = {"apps/v1/Deployment": {"resource": "deployments", "namespaced": True}}
    other = deployment()
    other["metadata"]["namespace"] = "not-yet"
    components = {"core_engine": [deployment(), other, hpa(maximum=4)]}
    targets, later = p.dry_run_targets(components, served, {deployment()["metadata"]["namespace"]})
    assert targets == [("core_engine", deployment())] and later == 2


def test_check_dry_run_blocks_on_each_refusal_and_passes_the_accepted():
    targets = [("core_engine", deployment()), ("core_engine", hpa(maximum=4))]
    row, findings = p.check_dry_run(targets, [None, None], 0)
    assert (row["result"], findings) == ("ok", [])
    row, findings = p.check_dry_run(targets, [None, "spec.maxReplicas: Invalid value"], 1)
    assert (
        row["result"] == "fail"
        and row["detail"]
        == "2 objects dry-run server-side, 1 refused, 1 once the run has created their namespace or API"
    )
    assert [f["message"].split(": ", 1)[0] for f in findings] == ["core_engine"]
    assert "spec.maxReplicas: Invalid value" in findings[0]["message"]


IMMUTABLE = {
    "kind": "Status",
    "message": 'StatefulSet.apps "mongodb" is invalid: spec.volumeClaimTemplates: Invalid value: [...]',
    "details": {
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "field": "spec.volumeClaimTemplates",
                "message": 'Invalid value: [{"name":"data","Spec":{"AccessModes":["ReadWriteOnce"],"Selector":null,'
                '"Resources":{"Limits":null,"Requests":{"storage":"300Gi"}},"VolumeName":"","StorageClassName":'
                '"fast-ssd"}}]: field is immutable',
            },
            {"reason": "FieldValueInvalid", "field": "spec.replicas", "message": "Invalid value: -1: must be >= 0"},
        ]
    },
}


def test_a_refusal_names_each_field_and_leaves_out_a_long_quoted_value():
    assert p.refusal_text(IMMUTABLE, "422") == (
        "spec.volumeClaimTemplates: field is immutable; spec.replicas: Invalid value: -1: must be >= 0"
    )


def test_a_refusal_without_causes_is_the_message_or_the_status_code():
    assert p.refusal_text({"message": "admission denied"}, "403 Forbidden") == "admission denied"
    assert p.refusal_text(None, "500 Internal Server Error") == "500 Internal Server Error"


def test_run_collects_every_blocking_finding():
    cluster = FakeCluster({}, {"Node": [node("a", cpu="1")]}, denied={("deployments", "create")})
    _rows, findings = p.run(cluster, {"core_engine": [deployment()]}, [], "1.27")
    assert {f["check"] for f in findings if f["blocking"]} == {"apis", "nodes", "access"}
