# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Jobs."""

from __future__ import annotations

import copy
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name

# What `kubectl create job --from=cronjob/...` marks its Jobs with.
_INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"


def _string_map(value, name):
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise AnsibleFilterError(
            f"job_from_cronjob: {name} must be a dict with string keys, got {native_type_name(value)}"
        )
    return {key: str(item) for key, item in value.items()}


def job_from_cronjob(cronjob, name, labels=None, annotations=None, env=None):
    """Return a Job made from a CronJob's job template, as ``kubectl create job --from=cronjob/...`` makes it, but
    without an owner reference, with extra labels and annotations, and with ``env`` set in every container."""
    if not isinstance(cronjob, Mapping) or cronjob.get("kind") != "CronJob":
        kind = cronjob.get("kind") if isinstance(cronjob, Mapping) else native_type_name(cronjob)
        raise AnsibleFilterError(f"job_from_cronjob: the input must be a CronJob, got {kind}")
    try:
        template = cronjob["spec"]["jobTemplate"]
        containers = template["spec"]["template"]["spec"]["containers"]
        namespace = cronjob["metadata"]["namespace"]
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError(f"job_from_cronjob: the CronJob lacks {exc}") from exc
    if not containers:
        raise AnsibleFilterError("job_from_cronjob: the CronJob's pod template has no containers")
    if not isinstance(name, str) or not name:
        raise AnsibleFilterError("job_from_cronjob: name must be a non-empty string")
    settings = _string_map(env or {}, "env")
    template_metadata = template.get("metadata") or {}
    spec = copy.deepcopy(template["spec"])
    for container in spec["template"]["spec"]["containers"] if settings else []:
        kept = [item for item in container.get("env") or [] if item.get("name") not in settings]
        container["env"] = kept + [{"name": key, "value": value} for key, value in settings.items()]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**(template_metadata.get("labels") or {}), **_string_map(labels or {}, "labels")},
            "annotations": {
                **(template_metadata.get("annotations") or {}),
                _INSTANTIATE_ANNOTATION: "manual",
                **_string_map(annotations or {}, "annotations"),
            },
        },
        "spec": spec,
    }


class FilterModule:
    def filters(self):
        return {"job_from_cronjob": job_from_cronjob}
