# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure rules of botcore.platform.apply: phases, ApplySet names, field sets, readable diffs, conflicts.

Nothing here calls the API; module_utils/apply.py does, and hands these functions what it read.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re

from ansible_collections.botcore.platform.plugins.module_utils.helm_diff import mask_secret

try:
    import yaml
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; diffs are never rendered without it.
    yaml = None

WORKLOAD_KINDS = ("Deployment", "StatefulSet")

# The open ApplySet format (KEP-3659), which kubectl reads.
PART_OF_LABEL = "applyset.kubernetes.io/part-of"
ID_LABEL = "applyset.kubernetes.io/id"
TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"
PARENT_KIND = "Secret"
PARENT_PREFIX = "botcore-applyset-"

# Metadata the API server owns: never part of a readable diff.
_SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")


def group_of(api_version):
    """The API group of an apiVersion: ``apps`` of ``apps/v1``, empty for the core group's ``v1``."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def group_kind(obj):
    """``Kind.group`` as the ApplySet annotation and kubectl write it (``Kind`` alone for the core group)."""
    group = group_of(obj["apiVersion"])
    return f"{obj['kind']}.{group}" if group else obj["kind"]


def split_group_kind(value):
    """``Deployment.apps`` -> (``apps``, ``Deployment``); ``ConfigMap`` -> (``""``, ``ConfigMap``)."""
    kind, _separator, group = value.partition(".")
    return group, kind


def object_key(obj):
    """What identifies an object in a cluster: group, kind, namespace and name (the version does not)."""
    metadata = obj["metadata"]
    return group_kind(obj), metadata.get("namespace") or "", metadata["name"]


def object_label(obj):
    """How messages name an object: ``Deployment/rust-core-engine``."""
    return f"{obj['kind']}/{obj['metadata']['name']}"


def parent_name(component):
    return PARENT_PREFIX + component.replace("_", "-")


def applyset_id(name, namespace, kind=PARENT_KIND, group=""):
    """KEP-3659's ID of the ApplySet whose parent is the object named: base64url without padding of the SHA-256 of
    ``<name>.<namespace>.<Kind>.<group>``, as ``applyset-<hash>-v1``."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"


def split_list(annotation):
    return sorted({item for item in (annotation or "").split(",") if item})


def parent_object(component, namespace, tooling, group_kinds, namespaces, labels=None):
    """The ApplySet's parent Secret; ``namespaces`` are the members' namespaces other than the parent's."""
    name = parent_name(component)
    annotations = {TOOLING_ANNOTATION: tooling, GROUP_KINDS_ANNOTATION: ",".join(sorted(set(group_kinds)))}
    others = sorted(set(namespaces) - {namespace})
    if others:
        annotations[NAMESPACES_ANNOTATION] = ",".join(others)
    return {
        "apiVersion": "v1",
        "kind": PARENT_KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**(labels or {}), ID_LABEL: applyset_id(name, namespace)},
            "annotations": annotations,
        },
        "type": "Opaque",
    }


def label_member(obj, set_id):
    """A copy of the object carrying the ApplySet's part-of label."""
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("labels", {})
    obj["metadata"]["labels"] = {**(obj["metadata"]["labels"] or {}), PART_OF_LABEL: set_id}
    return obj


def phases(pairs, cluster_scoped):
    """Split (component, object) pairs into the apply phases: lists of indexes into ``pairs``, each component's order
    kept within a phase.

    Per component the objects up to its last workload come first, the rest (a Job that needs a StatefulSet Ready)
    after the rollout wait. Of the first part, cluster-scoped objects (namespaces, CRD-like cluster objects) go
    first, then the namespaced objects that are not workloads, then the workloads. ``cluster_scoped(obj)`` tells.
    """
    result = {"cluster": [], "namespaced": [], "workloads": [], "after": []}
    by_component = {}
    for index, (component, _obj) in enumerate(pairs):
        by_component.setdefault(component, []).append(index)
    for indexes in by_component.values():
        workloads = [index for index in indexes if pairs[index][1]["kind"] in WORKLOAD_KINDS]
        split = indexes.index(workloads[-1]) + 1 if workloads else len(indexes)
        for index in indexes[:split]:
            obj = pairs[index][1]
            if obj["kind"] in WORKLOAD_KINDS:
                result["workloads"].append(index)
            elif cluster_scoped(obj):
                result["cluster"].append(index)
            else:
                result["namespaced"].append(index)
        result["after"].extend(indexes[split:])
    return result


def conflicts(status):
    """The field and manager of each FieldManagerConflict cause of a 409 Status of a server-side apply."""
    found = []
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") != "FieldManagerConflict":
            continue
        match = re.search(r'conflict with "([^"]*)"(?: with subresource "([^"]*)")?', cause.get("message") or "")
        manager = match.group(1) if match else "another field manager"
        if match and match.group(2):
            manager += f" (subresource {match.group(2)})"
        found.append({"field": cause.get("field") or "", "manager": manager})
    return found


def manager_fields(obj, manager):
    """The union of the FieldsV1 sets that ``manager`` applied to the object (its Apply entries)."""
    fields = {}
    for entry in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") == manager and entry.get("operation") == "Apply" and not entry.get("subresource"):
            fields = merge_fields(fields, entry.get("fieldsV1") or {})
    return fields


def merge_fields(first, second):
    """The union of two FieldsV1 sets."""
    merged = copy.deepcopy(first)
    for key, value in second.items():
        merged[key] = merge_fields(merged[key], value) if key in merged else copy.deepcopy(value)
    return merged


def _leaf(fields):
    return not fields or set(fields) <= {"."}


def _list_entry(item, fields):
    """The FieldsV1 entry of a list item: ``k:{...}`` matching its keys or ``v:...`` equal to it, else None."""
    for key, sub in fields.items():
        if key.startswith("k:"):
            keys = json.loads(key[2:])
            if isinstance(item, dict) and all(item.get(name) == value for name, value in keys.items()):
                return sub
        elif key.startswith("v:") and json.loads(key[2:]) == item:
            return {}
    return None


def project(value, fields):
    """The part of ``value`` that a FieldsV1 set covers: exactly the fields a manager set, nothing the server or
    another manager added."""
    if _leaf(fields):
        return copy.deepcopy(value)
    if isinstance(value, dict):
        # In the object's order, as the API server returns it.
        return {key: project(item, fields[f"f:{key}"]) for key, item in value.items() if f"f:{key}" in fields}
    if isinstance(value, list):
        picked = []
        for item in value:
            sub = _list_entry(item, fields)
            if sub is not None:
                picked.append(project(item, sub))
        return picked
    return copy.deepcopy(value)


def view(obj, fields):
    """The readable form of an object: what ``fields`` covers, under its kind, name and namespace."""
    projected = project(obj, fields) if fields else copy.deepcopy(obj)
    metadata = {key: value for key, value in (projected.get("metadata") or {}).items() if key not in _SERVER_METADATA}
    head = {"name": obj["metadata"]["name"]}
    if obj["metadata"].get("namespace"):
        head["namespace"] = obj["metadata"]["namespace"]
    rest = {key: value for key, value in projected.items() if key not in ("apiVersion", "kind", "metadata", "status")}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {**head, **metadata}, **rest}


def readable_diff(component, before, after, fields):
    """One entry of Ansible's ``diff`` list for an object created (no before), changed or deleted (no after), or
    None when nothing the collection sets would change."""
    obj = after if after is not None else before
    kind = obj["kind"]
    old = view(before, fields) if before is not None else None
    new = view(after, fields) if after is not None else None
    if old == new:
        return None
    if kind == "Secret":
        # Helm previews mask alike: which keys change, never what they hold.
        old, new = mask_secret(old, new)
    where = f" in namespace {obj['metadata']['namespace']}" if obj["metadata"].get("namespace") else ""
    label = f"{component}: {object_label(obj)}{where}"
    return {
        "before_header": f"{label} (live)" if old is not None else f"{label} (absent)",
        "after_header": f"{label} (applied)" if new is not None else f"{label} (deleted)",
        "before": to_yaml(old) if old is not None else "",
        "after": to_yaml(new) if new is not None else "",
    }


def changes(live, result, manager):
    """Whether an apply changes what ``manager`` sets on the object: the fields it sets before or after, or which
    fields it owns. Fields the server or controllers write (status, revisions) between two reads do not count."""
    if live is None:
        return True
    before, after = manager_fields(live, manager), manager_fields(result, manager)
    if before != after:
        return True
    return project(live, before) != project(result, after)


def to_yaml(value):
    """Block YAML with keys in their order, so that a changed field is one changed line of the diff."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _text(dumper, data):
        style = "|" if "\n" in data else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    _Dumper.add_representer(str, _text)
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=1000)
