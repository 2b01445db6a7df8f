# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What installing, upgrading or uninstalling a Helm release would change (logic of botcore.platform.helm_release_diff).

Both sides are what Helm records for a release: the objects of its manifest and its hooks. The current side comes
from ``helm get manifest`` and ``helm get hooks``, the desired side from the release that
``helm upgrade --install --dry-run=server --output=json`` returns. Objects are matched by API group, kind, namespace
and name, so an object whose API version moves within its group is one changed object, not a deletion and a creation.
"""

from __future__ import annotations

import copy
import json

try:
    import yaml

    # libyaml parses a chart's CRDs (megabytes of manifest) an order of magnitude faster than pure Python.
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
except ImportError:
    # AnsibleHelmModule reports the missing library before any command runs; parsing is never reached without it.
    yaml = SafeLoader = None

# A Secret's values never leave the module; these stand in for them in the diff. A changed value has a different
# stand-in on each side, so that it still shows as a changed line.
MASKED = "<masked>"
MASKED_BEFORE = "<masked, old value>"
MASKED_AFTER = "<masked, new value>"
SECRET_FIELDS = ("data", "stringData")


class HelmDiffError(Exception):
    """Helm output that cannot be compared (not YAML or JSON, not Kubernetes objects, an object twice)."""


def object_key(document, hook=False):
    """``(hook, group, kind, namespace, name)``: what identifies an object of a release across chart versions."""
    api_version = document.get("apiVersion")
    kind = document.get("kind")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not (isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str)) or not (
        api_version and kind and name
    ):
        raise HelmDiffError(
            "every object of a release needs apiVersion, kind and metadata.name; found "
            f"apiVersion={api_version!r}, kind={kind!r}, metadata.name={name!r}"
        )
    namespace = metadata.get("namespace") or ""
    return (hook, api_version.rpartition("/")[0], kind, str(namespace), name)


def object_name(key):
    """An object's name in messages, kubectl's way: ``Deployment.apps ingress-nginx/ingress-nginx-controller``."""
    hook, group, kind, namespace, name = key
    resource = f"{kind}.{group}" if group else kind
    path = f"{namespace}/{name}" if namespace else name
    return f"{resource} {path} (hook)" if hook else f"{resource} {path}"


def _load_all(text, source):
    try:
        return [document for document in yaml.load_all(text, Loader=SafeLoader) if document is not None]
    except yaml.YAMLError as exc:
        # The exception's text can quote the document, which may be a Secret: only its position is reported.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise HelmDiffError(f"{source} is not valid YAML{where}") from None


def parse_objects(text, source, hook=False, into=None):
    """The objects of a multi-document YAML text, by key; ``into`` (a dict) collects several texts in one."""
    objects = {} if into is None else into
    for document in _load_all(text or "", source):
        if not isinstance(document, dict):
            raise HelmDiffError(f"{source} holds a {type(document).__name__} where a Kubernetes object belongs")
        try:
            key = object_key(document, hook)
        except HelmDiffError as exc:
            raise HelmDiffError(f"{source}: {exc}") from None
        if key in objects:
            # Helm would fail to create the second one; comparing either would hide that.
            raise HelmDiffError(f"{source} holds {object_name(key)} twice")
        objects[key] = document
    return objects


def current_objects(manifest, hooks):
    """The objects a release records, from the text of ``helm get manifest`` and of ``helm get hooks``."""
    objects = parse_objects(manifest, "helm get manifest")
    return parse_objects(hooks, "helm get hooks", hook=True, into=objects)


def without_hooks(objects):
    """The objects an uninstall deletes: the manifest's. Hook objects outlive it (their delete policies govern them)."""
    return {key: document for key, document in objects.items() if not key[0]}


def parse_dry_run(stdout):
    """``(objects, chart)`` of the release that ``helm upgrade --install --dry-run --output=json`` prints."""
    try:
        release = json.loads(stdout)
    except ValueError:
        raise HelmDiffError("the dry run did not print a release as JSON") from None
    if not isinstance(release, dict):
        raise HelmDiffError("the dry run did not print a release as JSON")
    objects = parse_objects(release.get("manifest"), "the dry run's manifest")
    for hook in release.get("hooks") or []:
        parse_objects(hook.get("manifest"), f"the dry run's hook {hook.get('path')}", hook=True, into=objects)
    metadata = (release.get("chart") or {}).get("metadata") or {}
    chart = {
        "revision": release.get("version"),
        "chart": metadata.get("name"),
        "chart_version": metadata.get("version"),
        "app_version": metadata.get("appVersion"),
    }
    return objects, chart


def parse_metadata(stdout):
    """The release facts of ``helm get metadata --output=json``, under this module's return names."""
    try:
        metadata = json.loads(stdout)
    except ValueError:
        raise HelmDiffError("helm get metadata did not print JSON") from None
    return {
        "revision": metadata.get("revision"),
        "status": metadata.get("status"),
        "chart": metadata.get("chart"),
        "chart_version": metadata.get("version"),
        "app_version": metadata.get("appVersion"),
    }


def is_secret(key):
    _hook, group, kind, _namespace, _name = key
    return group == "" and kind == "Secret"


def mask_secret(before, after):
    """Copies of a Secret's two sides with every value of ``data`` and ``stringData`` masked.

    A value present on both sides but different is masked differently on each, so the diff shows which keys change
    (or appear, or go) and never what they hold. Either side may be None.
    """
    masked = [copy.deepcopy(before), copy.deepcopy(after)]
    for field in SECRET_FIELDS:
        values = [(side or {}).get(field) for side in (before, after)]
        for index, side in enumerate(masked):
            own, other = values[index], values[1 - index]
            changed = MASKED_AFTER if index else MASKED_BEFORE
            if side is None or own is None:
                continue
            if not isinstance(own, dict):
                # Not a map, so not a valid Secret, but it is still what the chart wrote there: masked whole.
                side[field] = MASKED if own == other or other is None else changed
                continue
            other = other if isinstance(other, dict) else {}
            side[field] = {
                name: changed if name in other and other[name] != value else MASKED for name, value in own.items()
            }
    return masked


def to_yaml(document):
    # Sorted keys, as kubectl prints objects: a key that merely moves in the chart's template is no change to show.
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=True)


def compare(current, desired, before_label, after_label):
    """The changes from ``current`` to ``desired`` (objects by key).

    Returns ``(summary, diff)``: the summary names the created, changed and deleted objects and counts the unchanged
    ones; the diff is a list in Ansible's format, one entry naming the created and deleted objects and one
    before/after entry per changed object, its YAML with Secret values masked.
    """
    created = sorted(set(desired) - set(current), key=object_name)
    deleted = sorted(set(current) - set(desired), key=object_name)
    common = sorted(set(current) & set(desired), key=object_name)
    changed = [key for key in common if current[key] != desired[key]]
    summary = {
        "created": [object_name(key) for key in created],
        "changed": [object_name(key) for key in changed],
        "deleted": [object_name(key) for key in deleted],
        "unchanged": len(common) - len(changed),
    }
    diff = []
    if created or deleted:
        lines = [f"+ created: {name}\n" for name in summary["created"]]
        lines += [f"- deleted: {name}\n" for name in summary["deleted"]]
        diff.append({"prepared": "".join(lines)})
    for key in changed:
        before, after = current[key], desired[key]
        if is_secret(key):
            before, after = mask_secret(before, after)
        name = object_name(key)
        diff.append(
            {
                "before_header": f"{name} [{before_label}]",
                "after_header": f"{name} [{after_label}]",
                "before": to_yaml(before),
                "after": to_yaml(after),
            }
        )
    return summary, diff


def summary_message(release, summary):
    """One line for messages: ``ingress-nginx/ingress-nginx: 1 created, 9 changed, 0 deleted, 12 unchanged``."""
    counts = ", ".join(f"{len(summary[what])} {what}" for what in ("created", "changed", "deleted"))
    return f"{release}: {counts}, {summary['unchanged']} unchanged"


def upgrade_command(helm, params, values_file):
    """The dry run of the ``helm upgrade --install`` that kubernetes.core.helm runs for these options.

    The same chart, version, repository, values file and post-renderer, with ``--reset-values`` as
    kubernetes.core.helm's default; ``--dry-run=server`` lets the chart's ``lookup`` calls read the cluster. The
    namespace, kubeconfig and context come through the environment, as they do for kubernetes.core.helm.
    """
    command = [helm, "upgrade", "--install", "--reset-values", "--dry-run=server", "--output=json"]
    if params.get("chart_version"):
        command.append("--version=" + params["chart_version"])
    if params.get("chart_repo_url"):
        command.append("--repo=" + params["chart_repo_url"])
    if values_file:
        command.append("--values=" + values_file)
    if params.get("post_renderer"):
        command.append("--post-renderer=" + params["post_renderer"])
    command += [params["release_name"], params["chart_ref"]]
    return command


def dump_values(values):
    """The values file kubernetes.core.helm writes for ``release_values``, byte for byte (it uses ``yaml.dump``)."""
    return yaml.dump(values, default_flow_style=False)
