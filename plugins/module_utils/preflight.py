# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of botcore.platform.preflight: whether a cluster can take the objects a run renders, before any write.

Pure functions of the rendered objects (grouped by component, the role that renders them) and of what the module
read from the cluster. Each check returns a row of the table and its findings; a finding is blocking or a warning
and names the setting (the role variable) or the cluster fact, with the numbers.

"Minimum" counts the long-running workloads (Deployments, StatefulSets) at their minimum replicas: the HPA's
minimum, else ``spec.replicas``. "Maximum" counts them at the HPA's maximum plus one pod of each Job and CronJob,
which run beside them (MongoDB's replica-set initiation, the backups).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class NotFoundError(DynamicApiError):
        pass


from ansible_collections.botcore.platform.plugins.module_utils.admission import (
    container_names,
    limit_defaults,
    limit_range_violations,
    pod_amounts,
    quantity,
    show,
)

OK = "ok"
WARN = "warn"
FAIL = "fail"

WORKLOAD_KINDS = ("Deployment", "StatefulSet")
JOB_KINDS = ("Job", "CronJob")
# ResourceQuota keys the platform's pods and claims charge, and the amount each one counts.
QUOTA_KEYS = {
    "pods": "pods",
    "count/pods": "pods",
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "requests.cpu": "requests.cpu",
    "requests.memory": "requests.memory",
    "limits.cpu": "limits.cpu",
    "limits.memory": "limits.memory",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "count/persistentvolumeclaims": "persistentvolumeclaims",
    "requests.storage": "requests.storage",
}
DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
HOSTNAME = "kubernetes.io/hostname"
# Longer causes quote the value refused, which says nothing a person needs.
MAX_CAUSE = 160
# What the run does to each rendered object: kubernetes.core.k8s reads it, then applies it server-side (a patch,
# which creates it when missing).
OBJECT_VERBS = ("get", "create", "patch")
# What the run reads beside its objects: the rollout module lists a workload's revisions, pods and events; the
# secrets role lists the Secrets of each namespace it writes (to keep their values); the preflight lists the
# namespace's quotas and limit ranges and, cluster-wide, the nodes, the pods on them and the StorageClasses.
READS_BY_KIND = {
    "Deployment": (("apps", "replicasets"), ("", "pods"), ("", "events")),
    "StatefulSet": (("apps", "controllerrevisions"), ("", "pods"), ("", "events")),
    "Secret": (("", "secrets"),),
}
NAMESPACE_READS = (("", "resourcequotas"), ("", "limitranges"))
CLUSTER_READS = (("", "nodes"), ("", "pods"), ("storage.k8s.io", "storageclasses"))
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)")


class PreflightError(Exception):
    """Input the checks cannot work with (a bad quantity, a malformed object)."""


def _amount(key, value):
    """CPU in cores (13.5), memory and storage in Gi with two decimals at most (18.75Gi): totals read at a glance."""
    if key.endswith("cpu"):
        return f"{value.quantize(Decimal('0.001')).normalize():f}"
    if key.endswith(("memory", "storage")):
        return f"{(value / Decimal(2**30)).quantize(Decimal('0.01')).normalize():f}Gi"
    return show(key, value)


def _meta(obj):
    return obj.get("metadata") or {}


def _label(obj):
    return f"{obj.get('kind')} {_meta(obj).get('name', '')}"


def _row(check, result, detail):
    return {"check": check, "result": result, "detail": detail}


def _finding(check, blocking, message):
    return {"check": check, "blocking": blocking, "message": message}


def _result(findings):
    if any(f["blocking"] for f in findings):
        return FAIL
    return WARN if findings else OK


def group_version(api_version):
    """(group, version) of an apiVersion; the core group is empty."""
    group, _slash, version = api_version.rpartition("/")
    return group, version


def plural(kind):
    """The resource name of a kind the cluster does not serve yet, as CRDs name theirs (lower case, plural)."""
    name = kind.lower()
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    return name + "s"


def objects_of(components):
    """Every rendered object as (component, object), in the run's order."""
    return [(component, obj) for component, objects in components.items() for obj in objects or []]


def kinds(components):
    """The distinct (apiVersion, kind) pairs of the rendered objects, in the run's order."""
    seen = []
    for _component, obj in objects_of(components):
        pair = (obj.get("apiVersion", ""), obj.get("kind", ""))
        if pair not in seen:
            seen.append(pair)
    return seen


def namespaces(components):
    """The namespaces the run writes namespaced objects into (workloads, Secrets, routes ...), in order."""
    found = []
    for _component, obj in objects_of(components):
        namespace = _meta(obj).get("namespace")
        if namespace and namespace not in found:
            found.append(namespace)
    return found


# --- version ---------------------------------------------------------------------------------------------------


def check_version(version, minimum):
    """The API server's /version against the minimum ``major.minor``."""
    git_version = version.get("gitVersion") or f"v{version.get('major')}.{version.get('minor')}"
    found = _VERSION_RE.match(git_version)
    wanted = _VERSION_RE.match(minimum)
    if wanted is None:
        raise PreflightError(f"minimum_version {minimum!r} is not a Kubernetes version (major.minor)")
    if found is None:
        return _row("version", FAIL, git_version), [
            _finding("version", True, f"the API server reports version {git_version!r}, not major.minor")
        ]
    if (int(found.group(1)), int(found.group(2))) < (int(wanted.group(1)), int(wanted.group(2))):
        message = f"the cluster runs Kubernetes {git_version}; the platform needs {minimum} or later"
        return _row("version", FAIL, f"{git_version} < {minimum}"), [_finding("version", True, message)]
    return _row("version", OK, f"{git_version} >= {minimum}"), []


# --- APIs ------------------------------------------------------------------------------------------------------


def check_apis(components, served, pending):
    """Every rendered apiVersion/kind is served now (``served``: "apiVersion/kind" -> resource) or will be, by an
    add-on that runs earlier in this run (``pending``: "apiVersion/kind" strings)."""
    findings = []
    counts = {"served": 0, "pending": 0, "missing": 0}
    for api_version, kind in kinds(components):
        key = f"{api_version}/{kind}"
        if key in served:
            counts["served"] += 1
            continue
        if key in pending:
            counts["pending"] += 1
            continue
        counts["missing"] += 1
        users = [
            f"{component}: {_meta(obj).get('name', '')}"
            for component, obj in objects_of(components)
            if obj.get("apiVersion") == api_version and obj.get("kind") == kind
        ]
        group, version = group_version(api_version)
        what = (
            f"CRD {plural(kind)}.{group} is not installed (or does not serve {version})"
            if group and "." in group
            else f"the API server does not serve {key}"
        )
        findings.append(
            _finding(
                "apis",
                True,
                f"{key}: {what}, and no add-on of this run installs it (platform_prerequisites); "
                f"needed by {', '.join(users)}",
            )
        )
    detail = (
        f"{len(kinds(components))} kinds: {counts['served']} served, {counts['pending']} from add-ons of this run, "
        f"{counts['missing']} missing"
    )
    return _row("apis", _result(findings), detail), findings


# --- storage ---------------------------------------------------------------------------------------------------


def claims(components):
    """Every claim the run makes: (component, namespace, what, storageClassName or None, size, count)."""
    found = []
    for component, obj in objects_of(components):
        spec = obj.get("spec") or {}
        namespace = _meta(obj).get("namespace", "")
        if obj.get("kind") == "PersistentVolumeClaim":
            found.append((component, namespace, _label(obj), spec.get("storageClassName"), _storage(spec), 1))
        elif obj.get("kind") == "StatefulSet":
            for template in spec.get("volumeClaimTemplates") or []:
                what = f"{_label(obj)} volumeClaimTemplate {_meta(template).get('name', '')}"
                template_spec = template.get("spec") or {}
                count = int(spec.get("replicas", 1))
                found.append(
                    (component, namespace, what, template_spec.get("storageClassName"), _storage(template_spec), count)
                )
    return found


def _storage(spec):
    return ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")


def check_storage(components, storage_classes):
    """The StorageClass each claim names exists; a claim that names none needs a default class."""
    names = sorted(_meta(c).get("name", "") for c in storage_classes)
    defaults = [
        _meta(c).get("name", "")
        for c in storage_classes
        if any((_meta(c).get("annotations") or {}).get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS)
    ]
    findings = []
    wanted = claims(components)
    for component, _namespace, what, class_name, _size, _count in wanted:
        if class_name == "":
            continue  # an explicitly empty class binds a pre-provisioned volume
        if class_name is None and not defaults:
            findings.append(
                _finding(
                    "storage",
                    True,
                    f"{what} ({component}) names no StorageClass and the cluster has no default class "
                    f"(StorageClasses: {', '.join(names) or 'none'})",
                )
            )
        elif class_name is not None and class_name not in names:
            findings.append(
                _finding(
                    "storage",
                    True,
                    f"{what} ({component}) names StorageClass {class_name}, which the cluster does not have "
                    f"(StorageClasses: {', '.join(names) or 'none'})",
                )
            )
    detail = f"{len(wanted)} claims; classes {', '.join(names) or 'none'} (default: {', '.join(defaults) or 'none'})"
    return _row("storage", _result(findings), detail), findings


# --- the pods the platform runs ---------------------------------------------------------------------------------


def _pod_template(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def workloads(components):
    """Every pod template the run renders with its replica counts: a dict per workload with component, kind, name,
    namespace, template, minimum and maximum (HPA bounds for a Deployment an HPA scales)."""
    hpas = {}
    for _component, obj in objects_of(components):
        if obj.get("kind") == "HorizontalPodAutoscaler":
            spec = obj.get("spec") or {}
            ref = spec.get("scaleTargetRef") or {}
            hpas[(_meta(obj).get("namespace"), ref.get("kind"), ref.get("name"))] = (
                int(spec.get("minReplicas", 1)),
                int(spec.get("maxReplicas", 1)),
            )
    found = []
    for component, obj in objects_of(components):
        kind = obj.get("kind")
        if kind not in WORKLOAD_KINDS + JOB_KINDS:
            continue
        meta = _meta(obj)
        scaled = False
        if kind in JOB_KINDS:
            minimum, maximum = 0, int((obj.get("spec") or {}).get("parallelism", 1)) if kind == "Job" else 1
        else:
            replicas = int((obj.get("spec") or {}).get("replicas", 1))
            scaled = (meta.get("namespace"), kind, meta.get("name")) in hpas
            minimum, maximum = hpas.get((meta.get("namespace"), kind, meta.get("name")), (replicas, replicas))
        found.append(
            {
                "component": component,
                "kind": kind,
                "name": meta.get("name", ""),
                "namespace": meta.get("namespace", ""),
                "template": _pod_template(obj),
                "minimum": minimum,
                "maximum": maximum,
                "setting": f"{component}_{'hpa' if scaled else 'replicas'}" if kind in WORKLOAD_KINDS else "",
            }
        )
    return found


def _replicas_setting(workload):
    return workload["setting"] or f"{workload['component']}'s {workload['kind']}"


# --- quota and limit range -------------------------------------------------------------------------------------


def _rendered(components, kind, namespace):
    return [
        (component, obj)
        for component, obj in objects_of(components)
        if obj.get("kind") == kind and _meta(obj).get("namespace") == namespace
    ]


def _policies(components, live, kind, namespace):
    """The namespace's ResourceQuotas or LimitRanges: those this run renders, else the live ones, each with where
    it comes from (the role variable, or the cluster)."""
    rendered = _rendered(components, kind, namespace)
    if rendered:
        setting = {"ResourceQuota": "quota", "LimitRange": "limits"}[kind]
        return [(obj, f"{component}_{setting}") for component, obj in rendered]
    return [(obj, "in the cluster") for obj in live.get(namespace, [])]


def check_quota(components, live_quotas, live_limit_ranges):
    """Each namespace's LimitRanges admit every container and pod; its ResourceQuotas hold the sum of the pods and
    claims at minimum replicas and at the maximum."""
    findings = []
    details = []
    for namespace in namespaces(components):
        pods = [w for w in workloads(components) if w["namespace"] == namespace]
        quotas = _policies(components, live_quotas, "ResourceQuota", namespace)
        ranges = _policies(components, live_limit_ranges, "LimitRange", namespace)
        if not pods and not quotas:
            continue
        defaults = limit_defaults([obj for obj, _source in ranges])
        totals = {"minimum": {}, "maximum": {}}
        for workload in pods:
            spec = workload["template"].get("spec") or {}
            try:
                pod, containers = pod_amounts(spec, defaults)
            except ValueError as exc:
                raise PreflightError(f"{workload['component']} {workload['kind']} {workload['name']}: {exc}") from exc
            for obj, source in ranges:
                for sentence in limit_range_violations(pod, containers, container_names(spec), [obj]):
                    findings.append(
                        _finding(
                            "quota",
                            True,
                            f"{workload['component']}_resources: pods of {workload['kind']} {workload['name']} "
                            f"would be rejected in {namespace}: {sentence} ({source})",
                        )
                    )
            for bound in totals:
                for key, amount in pod.items():
                    totals[bound][key] = totals[bound].get(key, Decimal(0)) + workload[bound] * amount
        for _component, _what, _class, size, count in _claims_in(components, namespace):
            for bound in totals:
                totals[bound]["persistentvolumeclaims"] = (
                    totals[bound].get("persistentvolumeclaims", Decimal(0)) + count
                )
                totals[bound]["requests.storage"] = totals[bound].get("requests.storage", Decimal(0)) + count * size
        for obj, source in quotas:
            name = _meta(obj).get("name", "")
            for key, allowed in sorted(((obj.get("spec") or {}).get("hard") or {}).items()):
                charge = QUOTA_KEYS.get(key)
                if charge is None:
                    continue
                hard = quantity(allowed, f"ResourceQuota {name} hard {key}")
                for bound in ("minimum", "maximum"):
                    needed = totals[bound].get(charge, Decimal(0))
                    if needed > hard:
                        findings.append(
                            _finding(
                                "quota",
                                True,
                                f"ResourceQuota {name} ({source}) in {namespace} allows {key} {allowed}, but the "
                                f"platform needs {_amount(key, needed)} at {bound} replicas "
                                f"({_breakdown(pods, components, namespace, charge, bound, defaults)})",
                            )
                        )
                        break
        at_min = totals["minimum"]
        details.append(
            f"{namespace}: {len(quotas)} quota, {len(ranges)} limit range; minimum "
            f"{_amount('cpu', at_min.get('requests.cpu', Decimal(0)))} CPU / "
            f"{_amount('memory', at_min.get('requests.memory', Decimal(0)))} requested, maximum "
            f"{_amount('cpu', totals['maximum'].get('requests.cpu', Decimal(0)))} CPU / "
            f"{_amount('memory', totals['maximum'].get('requests.memory', Decimal(0)))}"
        )
    return _row("quota", _result(findings), "; ".join(details) or "no workload"), findings


def _claims_in(components, namespace):
    return [
        (component, what, class_name, quantity(size, f"{what} storage"), count)
        for component, claim_namespace, what, class_name, size, count in claims(components)
        if claim_namespace == namespace
    ]


def _breakdown(pods, components, namespace, charge, bound, defaults):
    """Which workloads (or claims) make up a total: ``3 x 1 StatefulSet mongodb`` and so on."""
    parts = []
    if charge in ("persistentvolumeclaims", "requests.storage"):
        for _component, what, _class, size, count in _claims_in(components, namespace):
            each = _amount(charge, size) if charge == "requests.storage" else "1"
            parts.append(f"{count} x {each} {what}")
        return ", ".join(parts)
    for workload in pods:
        if workload[bound] == 0:
            continue
        pod, _containers = pod_amounts(workload["template"].get("spec") or {}, defaults)
        if charge in pod:
            parts.append(
                f"{workload[bound]} x {_amount(charge, pod[charge])} {workload['kind']} {workload['name']} "
                f"({_replicas_setting(workload)})"
            )
    return ", ".join(parts)


# --- nodes -----------------------------------------------------------------------------------------------------


def _ready(node):
    conditions = (node.get("status") or {}).get("conditions")
    if conditions is None:
        return True
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _tolerates(tolerations, taint):
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists":
            if not toleration.get("key") or toleration["key"] == taint.get("key"):
                return True
        elif toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def _match_expression(labels, expression):
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator in ("Gt", "Lt") and key in labels and values:
        return (int(labels[key]) > int(values[0])) if operator == "Gt" else (int(labels[key]) < int(values[0]))
    return False


def _selects(selector, labels):
    """A labelSelector (matchLabels, matchExpressions) matches the labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_match_expression(labels, e) for e in selector.get("matchExpressions") or [])


def why_not(node, pod_spec):
    """Why a pod may not run on a node (unschedulable, an untolerated taint, its nodeSelector or required node
    affinity), or None when it may."""
    meta = _meta(node)
    labels = meta.get("labels") or {}
    if (node.get("spec") or {}).get("unschedulable"):
        return "unschedulable (cordoned)"
    if not _ready(node):
        return "not Ready"
    tolerations = pod_spec.get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, taint):
            value = f"={taint['value']}" if taint.get("value") else ""
            return f"taint {taint.get('key')}{value}:{taint.get('effect')} not tolerated"
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return f"nodeSelector {key}={value} does not match"
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if terms and not any(
        all(_match_expression(labels, e) for e in term.get("matchExpressions") or []) for term in terms
    ):
        return "required node affinity does not match"
    return None


def one_per_node(template):
    """Whether the pod template's required anti-affinity keeps two of its pods off one node."""
    labels = _meta(template).get("labels") or {}
    anti = ((template.get("spec") or {}).get("affinity") or {}).get("podAntiAffinity") or {}
    return any(
        term.get("topologyKey") == HOSTNAME and _selects(term.get("labelSelector") or {}, labels)
        for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []
    )


def _own(pod, items):
    """Whether a live pod is one of the platform's (its namespace and its template's labels): this run replaces it."""
    labels = _meta(pod).get("labels") or {}
    return any(
        _meta(pod).get("namespace") == w["namespace"]
        and all(labels.get(k) == v for k, v in (_meta(w["template"]).get("labels") or {}).items())
        for w in items
    )


def _free(nodes, pods, items):
    """Each node's allocatable cpu, memory and pods minus what the pods already bound to it request, but the
    platform's own pods (``items``, the workloads), which the run replaces."""
    free = {}
    for node in nodes:
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        name = _meta(node).get("name", "")
        free[name] = {
            "cpu": quantity(allocatable.get("cpu", "0"), f"node {name} allocatable cpu"),
            "memory": quantity(allocatable.get("memory", "0"), f"node {name} allocatable memory"),
            "pods": quantity(allocatable.get("pods", "110"), f"node {name} allocatable pods"),
        }
    for pod in pods:
        node_name = (pod.get("spec") or {}).get("nodeName")
        phase = (pod.get("status") or {}).get("phase")
        if node_name not in free or phase in ("Succeeded", "Failed") or _own(pod, items):
            continue
        amounts, _containers = pod_amounts(pod.get("spec") or {}, {"requests": {}, "limits": {}})
        free[node_name]["cpu"] -= amounts.get("requests.cpu", Decimal(0))
        free[node_name]["memory"] -= amounts.get("requests.memory", Decimal(0))
        free[node_name]["pods"] -= 1
    return free


def place(workload_pods, nodes, free):
    """First-fit decreasing: the pods, largest CPU request first, each on the first node (by name) that may run it
    and has room; a workload with required anti-affinity gets at most one pod per node. Returns the pods that fit
    nowhere and what is left free on each node."""
    free = {name: dict(room) for name, room in free.items()}
    taken = {}
    unplaced = []
    ordered = sorted(workload_pods, key=lambda p: (p["cpu"], p["memory"]), reverse=True)
    for pod in ordered:
        for node in sorted(nodes, key=lambda n: _meta(n).get("name", "")):
            name = _meta(node).get("name", "")
            room = free[name]
            if why_not(node, pod["spec"]) is not None:
                continue
            if pod["one_per_node"] and (pod["workload"], name) in taken:
                continue
            if room["cpu"] < pod["cpu"] or room["memory"] < pod["memory"] or room["pods"] < 1:
                continue
            room["cpu"] -= pod["cpu"]
            room["memory"] -= pod["memory"]
            room["pods"] -= 1
            taken[(pod["workload"], name)] = True
            break
        else:
            unplaced.append(pod)
    return unplaced, free


def _pods_at(bound, items):
    result = []
    for workload in items:
        spec = workload["template"].get("spec") or {}
        amounts, _containers = pod_amounts(spec, workload["defaults"])
        for _index in range(workload[bound]):
            result.append(
                {
                    "workload": f"{workload['kind']} {workload['name']}",
                    "component": workload["component"],
                    "setting": _replicas_setting(workload),
                    "spec": spec,
                    "cpu": amounts.get("requests.cpu", Decimal(0)),
                    "memory": amounts.get("requests.memory", Decimal(0)),
                    "one_per_node": one_per_node(workload["template"]),
                }
            )
    return result


def _left_over(unplaced):
    counts = {}
    for pod in unplaced:
        key = (pod["workload"], pod["setting"], pod["cpu"], pod["memory"])
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(
        f"{count} x {workload} ({_amount('cpu', cpu)} CPU, {_amount('memory', memory)} each; {setting})"
        for (workload, setting, cpu, memory), count in counts.items()
    )


def check_nodes(components, nodes, pods, live_limit_ranges):
    """The schedulable nodes hold the platform's pods at minimum replicas (blocking), and at the maximum (a
    warning: the HPA can scale only as far as the nodes allow)."""
    items = []
    for workload in workloads(components):
        ranges = _policies(components, live_limit_ranges, "LimitRange", workload["namespace"])
        items.append(dict(workload, defaults=limit_defaults([obj for obj, _source in ranges])))
    free = _free(nodes, pods, items)
    # A node none of the platform's pods may use is named with the reason, once.
    specs = [w["template"].get("spec") or {} for w in items] or [{}]
    usable = [n for n in nodes if any(why_not(n, spec) is None for spec in specs)]
    excluded = [f"{_meta(n).get('name', '')} ({why_not(n, specs[0])})" for n in nodes if n not in usable]
    capacity_cpu = sum((free[_meta(n).get("name", "")]["cpu"] for n in usable), Decimal(0))
    capacity_memory = sum((free[_meta(n).get("name", "")]["memory"] for n in usable), Decimal(0))
    facts = (
        f"{len(usable)} schedulable node(s) {', '.join(_meta(n).get('name', '') for n in usable) or 'none'} with "
        f"{_amount('cpu', capacity_cpu)} CPU / {_amount('memory', capacity_memory)} free"
        + (f"; not used: {', '.join(excluded)}" if excluded else "")
    )
    findings = []
    results = {}
    for bound in ("minimum", "maximum"):
        wanted = _pods_at(bound, items)
        unplaced, left = place(wanted, usable, free)
        cpu = sum((p["cpu"] for p in wanted), Decimal(0))
        memory = sum((p["memory"] for p in wanted), Decimal(0))
        results[bound] = (wanted, unplaced, left, cpu, memory)
        if unplaced:
            findings.append(
                _finding(
                    "nodes",
                    bound == "minimum",
                    f"the cluster cannot hold the platform at {bound} replicas: {len(wanted)} pods request "
                    f"{_amount('cpu', cpu)} CPU and {_amount('memory', memory)} memory on {facts}; "
                    f"{len(unplaced)} pod(s) fit nowhere: {_left_over(unplaced)}",
                )
            )
    wanted, unplaced, left, cpu, memory = results["maximum"]
    headroom_cpu = sum((left[_meta(n).get("name", "")]["cpu"] for n in usable), Decimal(0))
    headroom_memory = sum((left[_meta(n).get("name", "")]["memory"] for n in usable), Decimal(0))
    minimum = results["minimum"]
    detail = (
        f"minimum: {len(minimum[0])} pods, {_amount('cpu', minimum[3])} CPU / {_amount('memory', minimum[4])}, "
        f"{len(minimum[1])} unplaced; maximum: {len(wanted)} pods, {_amount('cpu', cpu)} CPU / "
        f"{_amount('memory', memory)}, {len(unplaced)} unplaced, headroom {_amount('cpu', headroom_cpu)} CPU / "
        f"{_amount('memory', headroom_memory)}; {facts}"
    )
    return _row("nodes", _result(findings), detail), findings


# --- access ----------------------------------------------------------------------------------------------------


def access_needs(components, served):
    """Every (group, resource, namespace, verb) the run needs, each with why. ``served`` maps "apiVersion/kind" to
    the API's resource name and scope ({"resource", "namespaced"}); a kind not served yet (a CRD an add-on of this
    run installs) is taken as namespaced with the CRD-style plural."""
    needs = {}

    def need(group, resource, namespace, verb, why):
        key = (group, resource, namespace or "", verb)
        needs.setdefault(key, [])
        if why not in needs[key]:
            needs[key].append(why)

    for component, obj in objects_of(components):
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        group, _version = group_version(api_version)
        info = served.get(f"{api_version}/{kind}") or {"resource": plural(kind), "namespaced": True}
        namespace = _meta(obj).get("namespace") if info["namespaced"] else ""
        for verb in OBJECT_VERBS:
            need(group, info["resource"], namespace, verb, component)
        for read_group, resource in READS_BY_KIND.get(kind, ()):
            need(read_group, resource, namespace, "list", component)
    for namespace in namespaces(components):
        for group, resource in NAMESPACE_READS:
            need(group, resource, namespace, "list", "preflight")
    for group, resource in CLUSTER_READS:
        need(group, resource, "", "list", "preflight")
    return [
        {"group": g, "resource": r, "namespace": n, "verb": v, "why": ", ".join(why)}
        for (g, r, n, v), why in needs.items()
    ]


def extra_needs(deletes, served):
    """The deletions a run may make beside its objects (e.g. the Ingresses the Gateway replaces), as needs."""
    result = []
    for item in deletes:
        info = served.get(f"{item['api_version']}/{item['kind']}") or {
            "resource": plural(item["kind"]),
            "namespaced": True,
        }
        group, _version = group_version(item["api_version"])
        result.append(
            {
                "group": group,
                "resource": info["resource"],
                "namespace": item.get("namespace", "") if info["namespaced"] else "",
                "verb": "delete",
                "why": item.get("why", "a deletion of the run"),
            }
        )
    return result


def check_access(needs, allowed):
    """The deploy identity's SelfSubjectAccessReviews (``allowed``, one bool per need, in order) against the needs."""
    missing = {}
    for item, ok in zip(needs, allowed, strict=True):
        if ok:
            continue
        resource = f"{item['resource']}.{item['group']}" if item["group"] else item["resource"]
        where = f"in namespace {item['namespace']}" if item["namespace"] else "cluster-wide"
        missing.setdefault((resource, where), {"verbs": [], "why": item["why"]})["verbs"].append(item["verb"])
    findings = [
        _finding(
            "access",
            True,
            f"the deploy identity may not {', '.join(entry['verbs'])} {resource} {where} (needed by {entry['why']})",
        )
        for (resource, where), entry in missing.items()
    ]
    denied = sum(1 for ok in allowed if not ok)
    return _row("access", _result(findings), f"{len(needs)} verb/resource/namespace checks, {denied} denied"), findings


# --- the server's dry run -----------------------------------------------------------------------------------


def dry_run_targets(components, served, present_namespaces):
    """The (component, object) pairs the API server can dry-run now, and how many must wait for the run itself:
    their API comes with an add-on of this run, or their namespace is created by it."""
    targets, later = [], 0
    for component, obj in objects_of(components):
        info = served.get(f"{obj.get('apiVersion')}/{obj.get('kind')}")
        namespace = _meta(obj).get("namespace")
        if info is None or (info["namespaced"] and namespace not in present_namespaces):
            later += 1
            continue
        targets.append((component, obj))
    return targets, later


def refusal_text(status, fallback):
    """A dry run's refusal for people: each cause as ``field: message``, a value the server quotes in full (a whole
    volumeClaimTemplates list) left out; else the Status' message, else ``fallback``."""
    causes = ((status or {}).get("details") or {}).get("causes") or []
    texts = []
    for cause in causes:
        message = cause.get("message") or cause.get("reason") or ""
        if len(message) > MAX_CAUSE and message.startswith("Invalid value: "):
            message = message.rsplit(": ", 1)[-1]
        texts.append(f"{cause['field']}: {message}" if cause.get("field") else message)
    return "; ".join(texts) or (status or {}).get("message") or fallback


def check_dry_run(targets, refusals, later):
    """The API server's answers to the dry run of ``targets`` (``refusals``: None when accepted, else the server's
    message; a denial is the access check's to report)."""
    findings = [
        _finding(
            "dry-run",
            True,
            f"{component}: the API server refuses {_label(obj)}"
            + (f" in namespace {_meta(obj)['namespace']}" if _meta(obj).get("namespace") else "")
            + f": {message} (set by the {component} role's {component}_* variables)",
        )
        for (component, obj), message in zip(targets, refusals, strict=True)
        if message is not None
    ]
    detail = f"{len(targets)} objects dry-run server-side, {len(findings)} refused"
    if later:
        detail += f", {later} once the run has created their namespace or API"
    return _row("dry-run", _result(findings), detail), findings


# --- the report ------------------------------------------------------------------------------------------------


def table(rows):
    """The rows as aligned text lines: CHECK, RESULT, NUMBERS."""
    lines = [("CHECK", "RESULT", "NUMBERS")] + [(r["check"], r["result"], r["detail"]) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(2)]
    return [f"{line[0].ljust(widths[0])}  {line[1].ljust(widths[1])}  {line[2]}".rstrip() for line in lines]


# --- the run ---------------------------------------------------------------------------------------------------


class Cluster:
    """What the preflight reads, on top of kubernetes.core's K8SClient (the dynamic client). Reads only, plus
    SelfSubjectAccessReviews, which ask the API server a question and store nothing."""

    def __init__(self, client):
        self._client = client
        self._discovery = {}

    def version(self):
        return self._client.client.version.get("kubernetes") or {}

    def served(self, api_version, kind):
        """{"resource", "namespaced"} of a kind the API server serves, or None. One discovery request per group
        version: the dynamic client's lookup re-reads the whole discovery on each miss, seconds for every CRD that
        is not installed yet."""
        if api_version not in self._discovery:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                self._discovery[api_version] = self._client.client.request("get", path).to_dict().get("resources") or []
            except NotFoundError:
                self._discovery[api_version] = []
        for resource in self._discovery[api_version]:
            if resource.get("kind") == kind and "/" not in resource.get("name", ""):
                return {"resource": resource["name"], "namespaced": bool(resource.get("namespaced"))}
        return None

    def resource(self, obj):
        return self._client.resource(obj["kind"], obj["apiVersion"])

    def list(self, kind, api_version, namespace=None, **selectors):
        try:
            return self._client.resource(kind, api_version).get(namespace=namespace, **selectors).to_dict()["items"]
        except DynamicApiError as exc:
            where = f"in namespace {namespace}" if namespace else "cluster-wide"
            raise PreflightError(f"listing {kind} {where}: {exc.status} {exc.reason}") from exc

    def namespace_exists(self, name):
        try:
            self._client.resource("Namespace", "v1").get(name=name)
            return True
        except NotFoundError:
            return False
        except DynamicApiError as exc:
            raise PreflightError(f"reading namespace {name}: {exc.status} {exc.reason}") from exc

    def dry_run(self, resource, obj, field_manager):
        """The server's dry run of a server-side apply of ``obj``: None when it would accept it, else its message.
        Conflicts are forced as the apply forces them (it warns about each); a denial is None, the access check
        names it."""
        try:
            resource.server_side_apply(
                body=obj,
                namespace=_meta(obj).get("namespace"),
                field_manager=field_manager,
                force_conflicts=True,
                dry_run="All",
            )
            return None
        except DynamicApiError as exc:
            if exc.status in (401, 403):
                return None
            try:
                status = json.loads(exc.body)
            except (TypeError, ValueError, AttributeError):
                status = None
            return refusal_text(status, f"{exc.status} {exc.reason}")

    def allowed(self, need):
        """A SelfSubjectAccessReview of one need: may the identity of this connection do it?"""
        attributes = {"group": need["group"], "resource": need["resource"], "verb": need["verb"]}
        if need["namespace"]:
            attributes["namespace"] = need["namespace"]
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        review = self._client.resource("SelfSubjectAccessReview", "authorization.k8s.io/v1").create(body=body)
        return bool(review.to_dict().get("status", {}).get("allowed"))


def reviews(cluster, needs):
    """One SelfSubjectAccessReview per need, a few at a time: a run needs about a hundred, each a round trip."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(cluster.allowed, needs))


def dry_runs(cluster, targets, field_manager):
    """The dry run of every target, a few at a time; discovery first, its cache is not thread-safe."""
    resources = [cluster.resource(obj) for _component, obj in targets]

    def dry_run(index):
        return cluster.dry_run(resources[index], targets[index][1], field_manager)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(dry_run, range(len(targets))))


# The options of the checks: botcore.platform.preflight's (beside field_manager and the connection's), and those of
# botcore.platform.apply's option preflight.
CHECK_ARG_SPEC = {
    "components": {"type": "dict", "required": True},
    "pending_apis": {"type": "list", "elements": "str", "default": []},
    "minimum_version": {"type": "str", "default": "1.27"},
    "deletes": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "api_version": {"type": "str", "required": True},
            "kind": {"type": "str", "required": True},
            "namespace": {"type": "str", "default": ""},
            "why": {"type": "str", "default": "a deletion of the run"},
        },
    },
    "mode": {"type": "str", "default": "strict", "choices": ["strict", "warn"]},
}


def report(cluster, checks, field_manager):
    """Run every check (``checks`` as CHECK_ARG_SPEC validates them). Returns the result (table, rows, findings,
    blocking), the refusal (the failure message of a strict run with blocking findings, else None) and the warnings.

    ValueError names a component that is not a list of objects."""
    # A component that the run does not render (--tags) comes as null.
    components = {component: objects for component, objects in checks["components"].items() if objects is not None}
    for component, objects in components.items():
        if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
            raise ValueError(f"components: {component} must be a list of objects")
    rows, findings = run(
        cluster, components, checks["pending_apis"], checks["minimum_version"], checks["deletes"], field_manager
    )
    blocking = [f["message"] for f in findings if f["blocking"]]
    result = {"table": table(rows), "rows": rows, "findings": findings, "blocking": blocking}
    if checks["mode"] == "strict" and blocking:
        return result, f"preflight refused the run ({len(blocking)} blocking): " + "; ".join(blocking), []
    warnings = [
        f"preflight {f['check']}: {f['message']}" for f in findings if checks["mode"] == "warn" or not f["blocking"]
    ]
    return result, None, warnings


def run(cluster, components, pending, minimum_version, deletes=(), field_manager="botcore-platform"):
    """Read the cluster and run every check. Returns the rows (in the table's order) and the findings."""
    served = {}
    for api_version, kind in kinds(components) + [(d["api_version"], d["kind"]) for d in deletes]:
        info = cluster.served(api_version, kind)
        if info is not None:
            served[f"{api_version}/{kind}"] = info
    quotas, limit_ranges = {}, {}
    for namespace in namespaces(components):
        quotas[namespace] = cluster.list("ResourceQuota", "v1", namespace)
        limit_ranges[namespace] = cluster.list("LimitRange", "v1", namespace)
    needs = access_needs(components, served) + extra_needs(deletes, served)
    present = {namespace for namespace in namespaces(components) if cluster.namespace_exists(namespace)}
    targets, later = dry_run_targets(components, served, present)
    checks = [
        check_version(cluster.version(), minimum_version),
        check_apis(components, served, set(pending)),
        check_storage(components, cluster.list("StorageClass", "storage.k8s.io/v1")),
        check_quota(components, quotas, limit_ranges),
        check_nodes(
            components,
            cluster.list("Node", "v1"),
            cluster.list("Pod", "v1", field_selector="status.phase!=Succeeded,status.phase!=Failed"),
            limit_ranges,
        ),
        check_access(needs, reviews(cluster, needs)),
        check_dry_run(targets, dry_runs(cluster, targets, field_manager), later),
    ]
    return [row for row, _findings in checks], [finding for _row, findings in checks for finding in findings]
