# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply field ownership: which fields an object sets, who owns them live, and what drifted.

Pure functions (no API calls), the logic of botcore.platform.drift; other modules may use them too.

A *path* is a tuple of FieldsV1 path elements, as the API server writes them in ``metadata.managedFields``:
``f:<name>`` a field of a map or struct, ``k:<json>`` an element of an associative list by its key fields (compact
JSON, keys sorted), ``v:<json>`` an element of a set, ``i:<n>`` an element by index. For example the image of the
container ``app`` is ``("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"app"}', "f:image")``.

A desired object's lists are keyed as server-side apply keys them for the built-in kinds (``LIST_MAP_KEYS``); any other
list is atomic, one leaf. Ownership is matched loosely enough that a list the API server keys but this table does not
(a CRD's list map) still finds its owners: a manager owns a path when it owns the path itself, an atomic ancestor of
it, or anything beneath it.
"""

from __future__ import annotations

import json

# Associative lists by field name: the key fields server-side apply merges them by (x-kubernetes-list-map-keys of the
# built-in types). A field name with two entries is told apart by which first key its elements carry: a container's
# ports by containerPort, a Service's by port.
LIST_MAP_KEYS = {
    "containers": (("name",),),
    "initContainers": (("name",),),
    "ephemeralContainers": (("name",),),
    "env": (("name",),),
    "volumes": (("name",),),
    "volumeMounts": (("mountPath",),),
    "volumeDevices": (("devicePath",),),
    "imagePullSecrets": (("name",),),
    "hostAliases": (("ip",),),
    "topologySpreadConstraints": (("topologyKey", "whenUnsatisfiable"),),
    "ports": (("containerPort", "protocol"), ("port", "protocol")),
}
# Key fields the API server defaults before it keys an element, so a key that leaves them out still matches.
KEY_DEFAULTS = {"protocol": "TCP"}

# Fields that identify an object or that the API server writes: never part of what an apply owns.
IGNORED = (
    ("f:apiVersion",),
    ("f:kind",),
    ("f:status",),
    ("f:metadata", "f:name"),
    ("f:metadata", "f:namespace"),
    ("f:metadata", "f:uid"),
    ("f:metadata", "f:resourceVersion"),
    ("f:metadata", "f:generation"),
    ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:managedFields"),
    ("f:metadata", "f:selfLink"),
)

# A Secret's values never leave the module: this stands in for them, on the live and the desired side alike.
MASKED = "<masked>"
SECRET_FIELDS = ("f:data", "f:stringData")


def _key_json(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def _list_keys(name, items):
    """The key fields of the list field ``name``, or None when it is atomic (unknown, empty, or not a list of maps)."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for keys in LIST_MAP_KEYS.get(name, ()):
        if all(keys[0] in item for item in items):
            return keys
    return None


def _element_key(item, keys):
    return "k:" + _key_json({key: item.get(key, KEY_DEFAULTS.get(key)) for key in keys})


def desired_fields(obj):
    """Every leaf path the object sets, with its value, in document order: ``[(path, value), ...]``.

    The identity fields and ``status`` are left out (``IGNORED``), as are null values (an apply of null sets
    nothing). An empty map or list is a leaf of its own, as the API server records it.
    """
    found = []

    def walk(value, path):
        if path in IGNORED:
            return
        if isinstance(value, dict):
            if not value:
                found.append((path, value))
            for name, child in value.items():
                if child is not None:
                    walk_field(name, child, (*path, f"f:{name}"))
        else:
            found.append((path, value))

    def walk_field(name, value, path):
        keys = _list_keys(name, value) if isinstance(value, list) else None
        if keys is None:
            walk(value, path)
            return
        for item in value:
            element = (*path, _element_key(item, keys))
            for field, child in item.items():
                if child is not None:
                    walk_field(field, child, (*element, f"f:{field}"))

    walk(obj, ())
    return found


def _canonical(element):
    """A path element in this module's spelling: the API server's key JSON may order its fields otherwise."""
    if element.startswith("k:"):
        return "k:" + _key_json(json.loads(element[2:]))
    return element


def managed_paths(managed_fields):
    """Each manager's owned paths, from ``metadata.managedFields``: ``{manager: {path: is_leaf}}``.

    A path is owned when its FieldsV1 node is a leaf (``{}``) or is marked ``"."`` (the map or element itself); a
    leaf owns everything beneath it (an atomic map or list). The entries of one manager (apply and update, or several
    subresources) are merged.
    """
    owned = {}

    def walk(node, path, paths):
        for element, child in node.items():
            if element == ".":
                paths.setdefault(path, not any(key != "." for key in node))
                continue
            child_path = (*path, _canonical(element))
            if child:
                walk(child, child_path, paths)
            else:
                paths[child_path] = True

    for entry in managed_fields or []:
        if entry.get("fieldsType", "FieldsV1") != "FieldsV1":
            continue
        walk(entry.get("fieldsV1") or {}, (), owned.setdefault(entry.get("manager") or "", {}))
    return owned


def managers_by_path(managed_fields):
    """The managers owning each path of a live object's ``metadata.managedFields``: ``{path: [manager, ...]}``."""
    by_path = {}
    for manager, paths in managed_paths(managed_fields).items():
        for path in paths:
            by_path.setdefault(path, []).append(manager)
    return {path: sorted(managers) for path, managers in by_path.items()}


def owners(path, owned):
    """The managers (sorted) that own ``path``: the path itself, an atomic ancestor of it, or anything beneath it."""
    found = []
    for manager, paths in owned.items():
        if path in paths or any(
            (len(other) < len(path) and is_leaf and path[: len(other)] == other)
            or (len(other) > len(path) and other[: len(path)] == path)
            for other, is_leaf in paths.items()
        ):
            found.append(manager)
    return sorted(found)


def value_at(obj, path):
    """``(True, value)`` at ``path`` in ``obj``, or ``(False, None)`` when it is not there."""
    value = obj
    for element in path:
        kind, rest = element[:1], element[2:]
        if kind == "f" and isinstance(value, dict) and rest in value:
            value = value[rest]
        elif kind in ("k", "v", "i") and isinstance(value, list):
            match = _find(value, kind, rest)
            if match is None:
                return False, None
            value = value[match]
        else:
            return False, None
    return True, value


def _find(items, kind, rest):
    if kind == "i":
        return int(rest) if int(rest) < len(items) else None
    wanted = json.loads(rest)
    for index, item in enumerate(items):
        if kind == "v" and item == wanted:
            return index
        if (
            kind == "k"
            and isinstance(item, dict)
            and all(item.get(key, KEY_DEFAULTS.get(key)) == value for key, value in wanted.items())
        ):
            return index
    return None


def path_string(path):
    """A path for people: ``spec.template.spec.containers[name=app].image``, ``metadata.labels["app.kubernetes.io/a"]``.

    A field name with a dot or a slash (a label or annotation key) is quoted in brackets.
    """
    text = ""
    for element in path:
        kind, rest = element[:1], element[2:]
        if kind == "f":
            text += f"[{json.dumps(rest)}]" if "." in rest or "/" in rest else ("." if text else "") + rest
        elif kind == "k":
            text += "[" + ",".join(f"{key}={value}" for key, value in json.loads(rest).items()) + "]"
        else:
            text += f"[{rest}]"
    return text


def _is_secret_value(desired, path):
    return desired.get("kind") == "Secret" and path[:1] in tuple((field,) for field in SECRET_FIELDS)


def drift(desired, live, field_manager, fellow_managers=()):
    """The fields ``desired`` sets that ``field_manager`` no longer owns alone in ``live``, in document order.

    ``fellow_managers`` are the deployment's other managers (the create-only writer of generated Secrets): a field
    they own, alone or with ``field_manager``, is the collection's and no drift.

    Each is ``{"path", "field", "manager", "ours", "live", "desired", "live_present"}``: ``manager`` names the other
    managers that own the field now (comma-separated), or is None when nobody does (removed, or the object's
    managedFields were reset); ``ours`` says whether ``field_manager`` still owns it too (equal values, shared);
    ``live`` is None when the field is gone. A Secret's ``data`` and ``stringData`` values are always ``MASKED``.
    """
    owned = managed_paths((live.get("metadata") or {}).get("managedFields"))
    collection = {field_manager, *fellow_managers}
    found = []
    for path, wanted in desired_fields(desired):
        managers = owners(path, owned)
        others = [manager for manager in managers if manager not in collection]
        ours = any(manager in collection for manager in managers)
        if ours and not others:
            continue
        present, value = value_at(live, path)
        if _is_secret_value(desired, path):
            value, wanted = (MASKED if present else None), MASKED
        found.append(
            {
                "path": list(path),
                "field": path_string(path),
                "manager": ", ".join(others) or None,
                "ours": ours,
                "live": value,
                "live_present": present,
                "desired": wanted,
            }
        )
    return found


def object_label(obj):
    """``Kind namespace/name``, or ``Kind name`` for a cluster-scoped object."""
    metadata = obj.get("metadata") or {}
    where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"{obj.get('kind')} {where}{metadata.get('name')}"


def _short(value, width=60):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def drift_table(results):
    """The drift of every object as a table for people; ``results`` are the module's per-object results."""
    rows = []
    for result in results:
        if result["state"] == "missing":
            rows.append((result["object"], "(the object)", "-", f"(missing: {result.get('reason') or 'not found'})"))
        for field in result.get("fields", []):
            live = _short(field["live"]) if field["live_present"] else "(removed)"
            manager = field["manager"] or "(nobody)"
            if field["ours"]:
                manager += " (shared)"
            rows.append((result["object"], field["field"], manager, f"{live} -> {_short(field['desired'])}"))
    if not rows:
        return f"No drift: the collection's field manager owns every field it sets, in {len(results)} objects."
    header = ("OBJECT", "FIELD", "MANAGER", "LIVE -> DESIRED")
    widths = [max(len(row[column]) for row in [*rows, header]) for column in range(3)]
    lines = [
        "  ".join([*(row[column].ljust(widths[column]) for column in range(3)), row[3]]) for row in [header, *rows]
    ]
    drifted = sum(1 for result in results if result["state"] != "in_sync")
    lines.append(f"{len(rows)} fields drifted or missing in {drifted} of {len(results)} objects.")
    return "\n".join(line.rstrip() for line in lines)
