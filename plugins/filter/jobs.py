# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for Jobs and CronJobs."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name

# What `kubectl create job --from=cronjob/...` marks its Jobs with.
_INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"
# The CronJob controller's schedule syntax (robfig/cron's standard parser): five fields or a macro.
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# Name, lowest, highest, names (numbered from lowest), whether `?` may stand for `*`.
_CRON_FIELDS = (
    ("minute", 0, 59, (), False),
    ("hour", 0, 23, (), False),
    ("day of month", 1, 31, (), True),
    ("month", 1, 12, _MONTHS, False),
    ("day of week", 0, 6, _DAYS, True),
)
_CRON_ITEM_RE = re.compile(r"(?P<range>\*|\?|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(?P<step>[0-9]+))?")


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


def _cron_value(text, low, high, names):
    if text.isdigit():
        value = int(text)
    elif text.upper() in names:
        value = low + names.index(text.upper())
    else:
        return (
            None,
            f"{text!r} is neither a number nor one of {', '.join(names)}" if names else f"{text!r} is no number",
        )
    if not low <= value <= high:
        return None, f"{text} is out of range {low}-{high}"
    return value, None


def _cron_field_errors(field, name, low, high, names, question):
    errors = []
    for item in field.split(","):
        match = _CRON_ITEM_RE.fullmatch(item)
        if match is None:
            errors.append(f"{name} {item!r} is not a value, a range or a step")
            continue
        span, step = match["range"], match["step"]
        if step is not None and int(step) == 0:
            errors.append(f"{name} {item!r} has a step of 0")
        if span == "?" and not question:
            errors.append(f"{name} '?' is only for the day of month or week")
        if span in ("*", "?"):
            continue
        ends = [_cron_value(end, low, high, names) for end in span.split("-")]
        errors += [f"{name} {end[1]}" for end in ends if end[1]]
        if len(ends) == 2 and None not in (ends[0][0], ends[1][0]) and ends[0][0] > ends[1][0]:
            errors.append(f"{name} range {span} ends before it starts")
    return errors


def cron_errors(schedule, varname):
    """Return the problems with a CronJob schedule, each naming varname; empty when the controller accepts it."""
    if not isinstance(schedule, str):
        return [f"{varname}: must be a string of five cron fields or a macro such as @daily, got {schedule!r}"]
    if schedule.strip().lower() in _CRON_MACROS:
        return []
    fields = schedule.split()
    if len(fields) != len(_CRON_FIELDS):
        return [
            f"{varname}: {schedule!r} is neither five cron fields (minute hour day-of-month month day-of-week) "
            f"nor one of {', '.join(_CRON_MACROS)}"
        ]
    errors = []
    for field, (name, low, high, names, question) in zip(fields, _CRON_FIELDS, strict=True):
        errors += _cron_field_errors(field, name, low, high, names, question)
    return [f"{varname}: {problem} in {schedule!r}" for problem in errors]


class FilterModule:
    def filters(self):
        return {"job_from_cronjob": job_from_cronjob, "cron_errors": cron_errors}
