"""Every object and field of the spec is live in the cluster, except the deviations of spec_deviations.yml.

The spec's YAML blocks are read from the spec itself, so a change to it is checked without editing this file.
Each spec object is compared with the live object of the same kind and name, field by field (extra live fields
are fine); every difference must be a documented deviation, and every deviation must still be a difference.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import NotFoundError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SPEC = Path(os.environ.get("BOTCORE_SPEC", REPO.parent / "shared" / "spec" / "kubernetes-configuration-spec.md"))
SPEC_NAMESPACE = "bot-core-production"
NAMESPACE = os.environ.get("BOTCORE_NAMESPACE", SPEC_NAMESPACE)
# platform_field_manager: its apply entry in managedFields records the apiVersion the collection wrote, which a read
# through any served version of the kind would otherwise hide.
FIELD_MANAGER = "botcore-platform"
# Lists whose items are matched by `name`, so that order and extra items (volumes, env) do not matter.
NAMED_LISTS = {"containers", "initContainers", "env", "ports", "volumes", "volumeMounts"}
DEVIATION_KEYS = {"object", "path", "reason", "expect", "absent"}


def _load_quantity():
    spec = importlib.util.spec_from_file_location("botcore_quantity", REPO / "plugins" / "module_utils" / "quantity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quantity = _load_quantity()


class Absent:
    """A field the live object lacks."""

    def __repr__(self):
        return "<absent>"


ABSENT = Absent()


def load_spec():
    if not SPEC.is_file():
        pytest.fail(f"spec not found at {SPEC}; set BOTCORE_SPEC", pytrace=False)
    objects = []
    for block in re.findall(r"^```yaml\n(.*?)^```", SPEC.read_text(), re.MULTILINE | re.DOTALL):
        docs = yaml.safe_load_all(block)
        objects += [doc for doc in docs if isinstance(doc, dict) and {"apiVersion", "kind"} <= doc.keys()]
    if not objects:
        pytest.fail(f"no Kubernetes objects in {SPEC}", pytrace=False)
    return localise(objects)


def localise(value):
    """The spec's namespace becomes the one deployed to, wherever it appears (names, PromQL selectors)."""
    if isinstance(value, dict):
        return {key: localise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [localise(item) for item in value]
    return value.replace(SPEC_NAMESPACE, NAMESPACE) if isinstance(value, str) else value


def object_id(obj):
    return f"{obj['kind']}/{obj['metadata']['name']}"


def normalise(obj):
    """Make spec and live objects comparable: config files parsed, Secret values reduced to their keys."""
    obj = copy.deepcopy(obj)
    if obj["kind"] == "ConfigMap":
        parsers = {".toml": tomllib.loads, ".yaml": yaml.safe_load}
        obj["data"] = {key: parsers.get(Path(key).suffix, str)(text) for key, text in obj.get("data", {}).items()}
    if obj["kind"] == "Secret":
        # The spec's values are placeholders: only the keys can conform.
        obj["data"] = dict.fromkeys({**obj.get("data", {}), **obj.pop("stringData", {})}, "<set>")
    applied = [
        entry
        for entry in obj["metadata"].get("managedFields", [])
        if entry["manager"] == FIELD_MANAGER and entry["operation"] == "Apply"
    ]
    if applied:
        obj["apiVersion"] = applied[0]["apiVersion"]
    return obj


def child(path, key):
    return f"{path}.{key}" if path else str(key)


def named(items, key):
    return key in NAMED_LISTS and all(isinstance(item, dict) and "name" in item for item in items)


def elements(items, by_name):
    """A list's items by path suffix: `[name]` for a list of named items, else `[index]`."""
    return {f"[{item.get('name')}]" if by_name else f"[{index}]": item for index, item in enumerate(items)}


def same(spec, live):
    if spec == live:
        return True
    # Quantities ("1000m" is "1"); booleans are ints to Python but never quantities.
    if all(isinstance(value, (str, int, float)) and not isinstance(value, bool) for value in (spec, live)):
        try:
            return quantity.parse_quantity(spec) == quantity.parse_quantity(live)
        except ValueError:
            return False
    return False


def differences(spec, live, path="", key=None):
    """Yield (path, spec value, live value) for every field the spec sets that the live object does not match."""
    if isinstance(spec, dict) and isinstance(live, dict):
        for name, value in spec.items():
            yield from differences(value, live.get(name, ABSENT), child(path, name), name)
    elif isinstance(spec, list) and isinstance(live, list) and any(isinstance(item, (dict, list)) for item in spec):
        by_name = named(spec, key)
        spec_items, live_items = elements(spec, by_name), elements(live, by_name)
        for suffix, value in spec_items.items():
            yield from differences(value, live_items.get(suffix, ABSENT), path + suffix, key)
        # An extra item of an ordered list (a route, a rule, a policy) changes behaviour; extra named items are added.
        for suffix in [] if by_name else live_items.keys() - spec_items.keys():
            yield path + suffix, ABSENT, live_items[suffix]
    elif not same(spec, live):
        yield path, spec, live


def nodes(value, path="", key=None):
    """Yield (path, value) for every node of an object, with the paths differences() uses."""
    yield path, value
    if isinstance(value, dict):
        for name, item in value.items():
            yield from nodes(item, child(path, name), name)
    elif isinstance(value, list):
        for suffix, item in elements(value, named(value, key)).items():
            yield from nodes(item, path + suffix, key)


def covers(deviation, path):
    return path == deviation["path"] or path.startswith((deviation["path"] + ".", deviation["path"] + "["))


SPEC_OBJECTS = load_spec()
DEVIATIONS = localise(yaml.safe_load((HERE / "spec_deviations.yml").read_text()))


@pytest.fixture(scope="module")
def comparisons():
    """Object id -> (differences, spec nodes by path, live nodes by path) for every spec object."""
    cluster = dynamic.DynamicClient(config.new_client_from_config())
    result = {}
    for obj in SPEC_OBJECTS:
        api = cluster.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        metadata = obj["metadata"]
        try:
            live = normalise(api.get(name=metadata["name"], namespace=metadata.get("namespace")).to_dict())
        except NotFoundError:
            live = ABSENT
        spec = normalise(obj)
        result[object_id(obj)] = (list(differences(spec, live)), dict(nodes(spec)), dict(nodes(live)))
    return result


def test_objects_and_deviations_named_once():
    ids = [object_id(obj) for obj in SPEC_OBJECTS]
    assert len(ids) == len(set(ids)), f"the spec defines an object twice: {ids}"
    paths = [(deviation["object"], deviation["path"]) for deviation in DEVIATIONS]
    assert len(paths) == len(set(paths)), (
        f"a deviation is listed twice: {sorted(p for p in paths if paths.count(p) > 1)}"
    )


@pytest.mark.parametrize("obj", SPEC_OBJECTS, ids=object_id)
def test_object_matches_spec(obj, comparisons):
    found, _spec_nodes, live_nodes = comparisons[object_id(obj)]
    assert live_nodes[""] is not ABSENT, f"{object_id(obj)} is missing from the cluster"
    deviations = [deviation for deviation in DEVIATIONS if deviation["object"] == object_id(obj)]
    undocumented = [
        f"{path}: spec {spec!r}, live {live!r}"
        for path, spec, live in found
        if not any(covers(deviation, path) for deviation in deviations)
    ]
    assert not undocumented, f"{object_id(obj)} differs from the spec:\n" + "\n".join(undocumented)


@pytest.mark.parametrize("deviation", DEVIATIONS, ids=lambda deviation: f"{deviation['object']}:{deviation['path']}")
def test_deviation_is_exact(deviation, comparisons):
    assert deviation.keys() <= DEVIATION_KEYS and deviation.get("reason"), f"malformed deviation entry: {deviation}"
    known = deviation["object"] in comparisons
    assert known, f"{deviation['object']} is no object of the spec"
    found, spec_nodes, live_nodes = comparisons[deviation["object"]]
    live = live_nodes.get(deviation["path"], ABSENT)
    # A deviation is a spec field the live object does not match, or a field the collection adds to the spec's.
    added = spec_nodes.get(deviation["path"], ABSENT) is ABSENT and live is not ABSENT
    differs = any(covers(deviation, difference[0]) for difference in found)
    assert added or differs, "stale deviation: the live object matches the spec here"
    if deviation.get("absent"):
        assert live is ABSENT, f"{deviation['path']} must be gone, live {live!r}"
    if "expect" in deviation:
        wrong = list(differences(deviation["expect"], live, deviation["path"]))
        assert not wrong, f"{deviation['path']} must be {deviation['expect']!r}, live {live!r}"
