# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollout status, wait, restart and undo for Deployments and StatefulSets (the logic of botcore.platform.rollout).

Revisions work the way kubectl reads them: a Deployment's revisions are its ReplicaSets (annotation
``deployment.kubernetes.io/revision``), a StatefulSet's are its ControllerRevisions (field ``revision``, whose
``data`` is a strategic merge patch that replaces ``spec.template``).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class NotFoundError(DynamicApiError):
        pass


REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
# Set on the workload when a rollout completes: where a later failed rollout goes back to, whichever run made it.
LAST_GOOD_ANNOTATION = "botcore.io/last-good-revision"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash"

JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"

API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "ControllerRevision": "apps/v1",
    "Pod": "v1",
    "Event": "v1",
}

# A quota refusal can clear once the old replicas go away; every other refusal stays until an input changes.
_QUOTA_REFUSAL = "exceeded quota"

# Container state messages can be long (a whole back-off explanation); the failure message keeps the start.
_MAX_DETAIL = 200


class RolloutError(Exception):
    """A rollout that cannot be done or did not complete; ``result`` goes into the module's failure result."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result or {}


class Unfinished(Exception):
    """A wait slice ended before the rollout completed: the seconds waited so far and where it stands."""

    def __init__(self, waited, state):
        super().__init__(f"{state['kind']} {state['name']}: rollout still in progress")
        self.waited = waited
        self.state = state


class Api:
    """The few calls the rollout logic makes, on top of kubernetes.core's K8SClient (the dynamic client)."""

    def __init__(self, client):
        self._client = client

    def _call(self, action, kind, name, namespace, method, **kwargs):
        resource = self._client.resource(kind, API_VERSIONS[kind])
        try:
            return getattr(resource, method)(name=name, namespace=namespace, **kwargs).to_dict()
        except NotFoundError:
            if method == "get" and name:
                return None
            raise RolloutError(f"{action} {kind} {name or ''} in namespace {namespace}: not found") from None
        except DynamicApiError as exc:
            target = f"{kind.lower()} {name}" if name else f"{kind}s"
            raise RolloutError(f"{action} {target} in namespace {namespace} failed: {exc.summary()}") from exc

    def get(self, kind, name, namespace):
        """Return the object as a dict, or None if it does not exist."""
        return self._call("reading", kind, name, namespace, "get")

    def list(self, kind, namespace, label_selector=None, field_selector=None):
        selectors = {"label_selector": label_selector, "field_selector": field_selector}
        selectors = {key: value for key, value in selectors.items() if value}
        return self._call("listing", kind, None, namespace, "get", **selectors)["items"]

    def patch(self, kind, name, namespace, body, content_type):
        return self._call("patching", kind, name, namespace, "patch", body=body, content_type=content_type)

    def delete(self, kind, name, namespace):
        return self._call("deleting", kind, name, namespace, "delete")


def selector_string(selector):
    """Render a LabelSelector (matchLabels and matchExpressions) in the syntax of ``label_selector``."""
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], ",".join(expression.get("values") or [])
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }[operator]
        )
    return ",".join(parts)


def _without_none(value):
    """Drop null fields, so a template read from the API compares equal to the same template stored in a revision."""
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _without_label(template, label):
    """Return the pod template without the label its controller adds to tell revisions apart."""
    template = copy.deepcopy(template)
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(label, None)
    return template


def images(template):
    """Map each container (init containers included; names are unique within a pod) to its image."""
    spec = template.get("spec") or {}
    return {c["name"]: c.get("image") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}


def _annotations(obj):
    return (obj.get("metadata") or {}).get("annotations") or {}


def _owned_by(child, owner):
    uid = owner["metadata"]["uid"]
    return any(ref.get("uid") == uid for ref in child["metadata"].get("ownerReferences") or [])


def _pod_ready(pod):
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _second(stamp):
    """An API time (RFC 3339, UTC) to the whole second, so that times compare as strings in time order."""
    return stamp[:19] + "Z" if stamp else ""


def _event_time(event):
    """When an Event last happened: core/v1 events carry lastTimestamp, events.k8s.io ones eventTime and series."""
    series = event.get("series") or {}
    return _second(series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("eventTime") or "")


def _shorten(text):
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def pod_problem(pod):
    """Say why a pod is not Ready, the way a person reading ``kubectl describe`` would summarise it."""
    if pod["metadata"].get("deletionTimestamp"):
        return "terminating"
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for container in statuses:
        if container.get("ready"):
            continue
        state = container.get("state") or {}
        for phase in ("waiting", "terminated"):
            if phase in state:
                detail = state[phase].get("reason") or phase
                if state[phase].get("exitCode") is not None:
                    detail += f", exit code {state[phase]['exitCode']}"
                if state[phase].get("message"):
                    detail += f" ({_shorten(state[phase]['message'])})"
                return f"{phase}: {detail}"
        if "running" in state:
            return f"container {container['name']} running but not ready"
    for condition in status.get("conditions") or []:
        if condition.get("status") == "False" and condition.get("reason"):
            message = f" ({_shorten(condition['message'])})" if condition.get("message") else ""
            return f"{condition['type']} is False: {condition['reason']}{message}"
    return f"phase {status.get('phase') or 'unknown'}"


@dataclass
class Revision:
    """One entry of a workload's rollout history."""

    number: int
    # The pod template it records, without the controller's hash label.
    template: dict
    change_cause: str | None
    # The ReplicaSet or ControllerRevision holding it.
    source: dict
    # Selects the pods of this revision among the workload's pods.
    pod_label: str

    def summary(self):
        return {"revision": self.number, "images": images(self.template), "change_cause": self.change_cause}


@dataclass
class Progress:
    complete: bool
    message: str
    # The controller gave up (Deployment condition Progressing=False, reason ProgressDeadlineExceeded), or the API
    # server refuses the pods of this revision for a reason that old replicas going away cannot clear.
    failed: bool = False
    # Why the API server refuses to create the pods, as the controller reported it.
    refusal: str | None = None


class Workload:
    """A Deployment or StatefulSet with its revisions, read from the API."""

    kind = ""
    revision_kind = ""

    def __init__(self, api, name, namespace):
        self.api = api
        self.name = name
        self.namespace = namespace
        self.obj = {}
        self.revisions = []
        self.refresh()

    @property
    def label(self):
        """How messages name the object: ``deployment rust-core-engine``."""
        return f"{self.kind.lower()} {self.name}"

    def refresh(self):
        obj = self.api.get(self.kind, self.name, self.namespace)
        if obj is None:
            raise RolloutError(f"{self.label} not found in namespace {self.namespace}")
        self.obj = obj
        owned = [
            item
            for item in self.api.list(self.revision_kind, self.namespace, self.pod_selector)
            if _owned_by(item, obj)
        ]
        self.revisions = sorted(
            (revision for revision in map(self._revision, owned) if revision is not None), key=lambda r: r.number
        )

    @property
    def spec(self):
        return self.obj.get("spec") or {}

    @property
    def status(self):
        return self.obj.get("status") or {}

    @property
    def template(self):
        return self.spec["template"]

    @property
    def desired(self):
        return self.spec.get("replicas", 1)

    @property
    def change_cause(self):
        return _annotations(self.obj).get(CHANGE_CAUSE_ANNOTATION)

    @property
    def pod_selector(self):
        return selector_string(self.spec["selector"])

    def _revision(self, source):
        raise NotImplementedError

    def _fallback_revision_number(self):
        """The revision the controller last recorded, for when no revision holds the current template yet."""
        raise NotImplementedError

    def _progress(self):
        """Where the rollout stands, as ``kubectl rollout status`` reads it."""
        raise NotImplementedError

    def _refusal(self):
        """Why the controller cannot create the pods (an admission refusal: LimitRange, quota, Pod Security...)."""
        raise NotImplementedError

    @property
    def observed(self):
        observed = self.status.get("observedGeneration", 0)
        return bool(observed) and self.obj["metadata"].get("generation", 0) <= observed

    def progress(self):
        """The rollout's progress; pods refused at creation fail it at once, unless only the quota refuses them and
        old replicas remain whose removal can make room."""
        progress = self._progress()
        if progress.complete or progress.failed or not self.observed:
            return progress
        refusal = self._refusal()
        if refusal is None:
            return progress
        old_replicas = self.status.get("replicas", 0) > self.status.get("updatedReplicas", 0)
        if _QUOTA_REFUSAL in refusal and old_replicas:
            return Progress(
                False, f"{progress.message}; pods refused for now, until old replicas free the quota: {refusal}"
            )
        return Progress(False, f"pod creation refused: {refusal}", failed=True, refusal=refusal)

    @property
    def current(self):
        """The revision holding the current template, or None until the controller has recorded it."""
        wanted = _without_none(self.template)
        return next((r for r in self.revisions if _without_none(r.template) == wanted), None)

    @property
    def revision_number(self):
        current = self.current
        return current.number if current else self._fallback_revision_number()

    def replicas(self):
        status = self.status
        return {
            "desired": self.desired,
            "current": status.get("replicas", 0),
            "updated": status.get("updatedReplicas", 0),
            "ready": status.get("readyReplicas", 0),
            "available": status.get("availableReplicas", 0),
        }

    def _last_good_record(self):
        """The annotation's record ({revision, name, images}), or None if there is none (or it is not one)."""
        try:
            record = json.loads(_annotations(self.obj).get(LAST_GOOD_ANNOTATION) or "null")
        except ValueError:
            return None
        return record if isinstance(record, dict) and isinstance(record.get("name"), str) else None

    def last_good_target(self):
        """The recorded revision, found by the name of its ReplicaSet or ControllerRevision: unlike its number,
        the name stays when a rollback renumbers it. None when none is recorded or it is no longer kept."""
        record = self._last_good_record()
        if record is None:
            return None
        return next((r for r in self.revisions if r.source["metadata"]["name"] == record["name"]), None)

    def last_good(self):
        """The ``rollout.last_good`` return value."""
        record = self._last_good_record()
        if record is None:
            return None
        target = self.last_good_target()
        return {
            "revision": target.number if target else None,
            "recorded_revision": record.get("revision"),
            "images": record.get("images") or {},
            "restorable": target is not None and _without_none(target.template) != _without_none(self.template),
        }

    def last_good_patch(self):
        """The patch that records the current revision as the last good one, or None when it is recorded already."""
        current = self.current
        if current is None:
            return None
        record = {
            "revision": current.number,
            "name": current.source["metadata"]["name"],
            "images": images(self.template),
        }
        value = json.dumps(record, sort_keys=True, separators=(",", ":"))
        if _annotations(self.obj).get(LAST_GOOD_ANNOTATION) == value:
            return None
        return {"metadata": {"annotations": {LAST_GOOD_ANNOTATION: value}}}, MERGE_PATCH

    def report(self):
        """The ``rollout`` return value."""
        progress = self.progress()
        return {
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision_number,
            "replicas": self.replicas(),
            "images": images(self.template),
            "change_cause": self.change_cause,
            "complete": progress.complete,
            "message": progress.message,
            "history": [revision.summary() for revision in self.revisions],
            "last_good": self.last_good(),
        }

    def diff_view(self, template, change_cause):
        """What a restart or undo changes: the pod template and the change-cause annotation."""
        view = {"spec": {"template": template}}
        if change_cause is not None or self.change_cause is not None:
            view["metadata"] = {"annotations": {CHANGE_CAUSE_ANNOTATION: change_cause}}
        return view

    def _current_pods(self):
        """The pods of the current revision, newest first, and the newest of them that is not Ready (or None)."""
        current = self.current
        pods = []
        if current is not None:
            selector = f"{self.pod_selector},{current.pod_label}"
            pods = sorted(
                self.api.list("Pod", self.namespace, selector),
                key=lambda pod: pod["metadata"].get("creationTimestamp") or "",
                reverse=True,
            )
        return pods, next((pod for pod in pods if not _pod_ready(pod)), None)

    def explain(self, progress, elapsed):
        """The failure message of a rollout that did not complete: object, revision, counts, why."""
        pods, waiting = self._current_pods()
        ready = sum(1 for pod in pods if _pod_ready(pod))
        number = self.revision_number
        revision = f"revision {number}" if number is not None else "new revision (not recorded yet)"
        parts = [
            f"{self.label} {revision}: {ready} of {self.desired} updated replicas ready after {elapsed}s",
            progress.message,
        ]
        if waiting is not None:
            parts.append(f"newest pod {waiting['metadata']['name']} {pod_problem(waiting)}")
        elif not pods and progress.refusal is None:
            parts.append("no pod of this revision exists yet")
        return "; ".join(parts)

    def pending(self, progress, waited, timeout):
        """Where a rollout that is still going stands when a wait slice ends (an entry of RV(pending))."""
        pods, waiting = self._current_pods()
        return {
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision_number,
            "ready": sum(1 for pod in pods if _pod_ready(pod)),
            "desired": self.desired,
            "message": progress.message,
            "newest_pod": f"{waiting['metadata']['name']} {pod_problem(waiting)}" if waiting is not None else None,
            "waited": int(waited),
            "timeout": timeout,
        }

    def wait(self, timeout, sleep, waited=0.0, until=None, clock=time.monotonic, pause=time.sleep):
        """Poll until the rollout completes and return the seconds waited in all; raise RolloutError when it fails
        or the seconds already ``waited`` and those of this call reach ``timeout``, and Unfinished when the clock
        reaches ``until`` (the end of a wait slice) first."""
        start = clock()
        while True:
            progress = self.progress()
            now = clock()
            total = waited + now - start
            elapsed = int(total)
            if progress.complete:
                return elapsed
            if progress.failed or elapsed >= timeout:
                raise RolloutError(self.explain(progress, elapsed), {"rollout": self.report()})
            if until is not None and now >= until:
                raise Unfinished(total, self.pending(progress, elapsed, timeout))
            pause(max(0, min(sleep, timeout - elapsed, until - now if until is not None else sleep)))
            self.refresh()

    def check_not_paused(self, action):
        """A paused Deployment would take the change but never roll it out (kubectl refuses too)."""
        if self.spec.get("paused"):
            raise RolloutError(f"{self.label} is paused: resume it before a {action}, or the change never rolls out")

    def restart_patch(self, restarted_at):
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: restarted_at}}}}}
        return body, STRATEGIC_MERGE_PATCH

    def undo_patch(self, target):
        raise NotImplementedError

    def pods_to_replace(self, target):
        """Pods a rollback to ``target`` must delete itself; the Deployment controller replaces every pod."""
        return []


class Deployment(Workload):
    kind = "Deployment"
    revision_kind = "ReplicaSet"

    def _revision(self, source):
        number = _annotations(source).get(REVISION_ANNOTATION)
        if number is None:
            return None
        template = source["spec"]["template"]
        pod_hash = ((template.get("metadata") or {}).get("labels") or {}).get(POD_TEMPLATE_HASH_LABEL, "")
        return Revision(
            number=int(number),
            template=_without_label(template, POD_TEMPLATE_HASH_LABEL),
            change_cause=_annotations(source).get(CHANGE_CAUSE_ANNOTATION),
            source=source,
            pod_label=f"{POD_TEMPLATE_HASH_LABEL}={pod_hash}",
        )

    def _fallback_revision_number(self):
        number = _annotations(self.obj).get(REVISION_ANNOTATION)
        return int(number) if number is not None else None

    def _progress(self):
        """kubectl's DeploymentStatusViewer, with ProgressDeadlineExceeded as a failure."""
        status = self.status
        if not self.observed:
            return Progress(False, "spec update not yet observed by the deployment controller")
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
                return Progress(False, f"ProgressDeadlineExceeded ({condition.get('message', '')})", failed=True)
        updated = status.get("updatedReplicas", 0)
        if updated < self.desired:
            return Progress(False, f"{updated} of {self.desired} replicas updated")
        old = status.get("replicas", 0) - updated
        if old > 0:
            return Progress(False, f"{old} old replicas pending termination")
        available = status.get("availableReplicas", 0)
        if available < updated:
            return Progress(False, f"{available} of {updated} updated replicas available")
        return Progress(True, "successfully rolled out")

    def _refusal(self):
        """The controller copies its ReplicaSets' ReplicaFailure condition (FailedCreate) to the Deployment."""
        for condition in self.status.get("conditions") or []:
            if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
                return f"ReplicaFailure {condition.get('reason') or 'FailedCreate'}: {condition.get('message', '')}"
        return None

    def undo_patch(self, target):
        """kubectl's JSON patch that replaces spec.template, without replacing the other annotations.

        kubectl also copies the target's annotations over the Deployment's; only the change-cause is carried
        here, because the controller copies it to the restored ReplicaSet and the history would otherwise
        show the rolled-back release's cause against the restored revision.
        """
        body = [{"op": "replace", "path": "/spec/template", "value": target.template}]
        if target.change_cause != self.change_cause:
            path = "/metadata/annotations/" + CHANGE_CAUSE_ANNOTATION.replace("~", "~0").replace("/", "~1")
            if target.change_cause is None:
                body.append({"op": "remove", "path": path})
            elif _annotations(self.obj):
                body.append({"op": "add", "path": path, "value": target.change_cause})
            else:
                body.append(
                    {
                        "op": "add",
                        "path": "/metadata/annotations",
                        "value": {CHANGE_CAUSE_ANNOTATION: target.change_cause},
                    }
                )
        return body, JSON_PATCH


class StatefulSet(Workload):
    kind = "StatefulSet"
    revision_kind = "ControllerRevision"

    def _revision(self, source):
        template = copy.deepcopy(source["data"]["spec"]["template"])
        template.pop("$patch", None)
        return Revision(
            number=int(source["revision"]),
            template=template,
            change_cause=_annotations(source).get(CHANGE_CAUSE_ANNOTATION),
            source=source,
            pod_label=f"{CONTROLLER_REVISION_HASH_LABEL}={source['metadata']['name']}",
        )

    def _fallback_revision_number(self):
        name = self.status.get("updateRevision")
        return next((r.number for r in self.revisions if r.source["metadata"]["name"] == name), None)

    def _progress(self):
        """kubectl's StatefulSetStatusViewer; OnDelete completes once every pod runs the new revision."""
        status, spec = self.status, self.spec
        if not self.observed:
            return Progress(False, "spec update not yet observed by the statefulset controller")
        ready = status.get("readyReplicas", 0)
        if ready < self.desired:
            return Progress(False, f"{ready} of {self.desired} replicas ready")
        strategy = spec.get("updateStrategy") or {}
        updated = status.get("updatedReplicas", 0)
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
            if updated < self.desired - partition:
                return Progress(False, f"{updated} of {self.desired - partition} replicas updated")
            if partition or status.get("updateRevision") == status.get("currentRevision"):
                return Progress(True, "successfully rolled out")
            return Progress(False, "rolling update still settling on the new revision")
        if updated < self.desired:
            return Progress(False, f"{updated} of {self.desired} replicas updated (OnDelete: pods change when deleted)")
        return Progress(True, "successfully rolled out")

    def _refusal(self):
        """A StatefulSet has no condition for it: its controller reports each refusal as a FailedCreate event.

        The controller retries, and the event's last time moves on, while the refusal lasts; an event that is not
        newer than the last write to the StatefulSet's spec or metadata is about an earlier template.
        """
        written = max(
            (
                _second(entry.get("time") or "")
                for entry in self.obj["metadata"].get("managedFields") or []
                if not entry.get("subresource")
            ),
            default="",
        )
        uid = self.obj["metadata"]["uid"]
        events = self.api.list(
            "Event", self.namespace, field_selector=f"involvedObject.uid={uid},reason=FailedCreate,type=Warning"
        )
        latest = max(events, key=_event_time, default=None)
        if latest is None or _event_time(latest) <= written:
            return None
        return f"FailedCreate: {latest.get('message', '')}"

    def undo_patch(self, target):
        """The revision's data as a strategic merge patch, as kubectl applies it, plus its change-cause."""
        body = copy.deepcopy(target.source["data"])
        if target.change_cause != self.change_cause:
            body["metadata"] = {"annotations": {CHANGE_CAUSE_ANNOTATION: target.change_cause}}
        return body, STRATEGIC_MERGE_PATCH

    def pods_to_replace(self, target):
        """The pods of other revisions that are not Ready.

        A StatefulSet waits for such a pod to become Ready before it replaces it, so a rollback from a release
        that never becomes Ready would wait forever: the documented "forced rollback" deletes them by hand.
        """
        target_hash = target.source["metadata"]["name"]
        return sorted(
            pod["metadata"]["name"]
            for pod in self.api.list("Pod", self.namespace, self.pod_selector)
            if not _pod_ready(pod)
            and (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH_LABEL) != target_hash
        )


WORKLOADS = {cls.kind: cls for cls in (Deployment, StatefulSet)}


def _utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _pick_target(workload, to_revision, to_last_good=False):
    available = ", ".join(str(r.number) for r in workload.revisions) or "none"
    if to_last_good:
        record = workload._last_good_record()
        if record is None:
            raise RolloutError(
                f"{workload.label} has no last good revision recorded (annotation {LAST_GOOD_ANNOTATION})"
            )
        target = workload.last_good_target()
        if target is None:
            raise RolloutError(
                f"{workload.label}: its last good revision {record.get('revision')} ({record['name']}) is no longer "
                f"kept; available revisions: {available}"
            )
        return target
    if to_revision is None:
        current = workload.revision_number
        older = [r for r in workload.revisions if current is None or r.number < current]
        if not older:
            raise RolloutError(
                f"{workload.label} has no revision before {current} to roll back to; available revisions: {available}"
            )
        return older[-1]
    target = next((r for r in workload.revisions if r.number == to_revision), None)
    if target is None:
        raise RolloutError(f"{workload.label} has no revision {to_revision}; available revisions: {available}")
    return target


def slice_end(params, clock=time.monotonic):
    """When a wait slice that starts now ends, or None when O(progress_interval) is 0 (no slices)."""
    interval = params.get("progress_interval") or 0
    return clock() + interval if interval > 0 else None


def run(api, params, check_mode=False, diff=False, now=_utc_now, until=None):
    """Do what the module parameters ask and return the module result.

    A wait ends at ``until`` (see slice_end) if the rollout has not completed by then; with ``resume`` (what that
    result said), only the wait goes on, where it stopped.
    """
    workload = WORKLOADS[params["kind"]](api, params["name"], params["namespace"])
    resume = params.get("resume")
    if resume:
        # The seconds between the two runs count too: the timeout is of the whole wait.
        waited = resume["waited"] + max(0.0, time.time() - resume["at"])
        return _wait(workload, api, params, check_mode, dict(resume["result"]), waited, until)
    result = {"changed": False}
    patch = after = None

    if params["state"] == "restarted":
        workload.check_not_paused("restart")
        result["restarted_at"] = now()
        patch = workload.restart_patch(result["restarted_at"])
        template = copy.deepcopy(workload.template)
        template.setdefault("metadata", {}).setdefault("annotations", {})[RESTARTED_AT_ANNOTATION] = result[
            "restarted_at"
        ]
        after = workload.diff_view(template, workload.change_cause)
    elif params["state"] == "undone":
        target = _pick_target(workload, params.get("to_revision"), params.get("to_last_good"))
        result["from"] = {
            "revision": workload.revision_number,
            "images": images(workload.template),
            "change_cause": workload.change_cause,
        }
        result["to"] = target.summary()
        if _without_none(target.template) != _without_none(workload.template):
            workload.check_not_paused("rollback")
            patch = workload.undo_patch(target)
            after = workload.diff_view(target.template, target.change_cause)
        # Also when the template is back already (by kubectl, or a rollback that was interrupted): stuck pods stay.
        result["deleted_pods"] = workload.pods_to_replace(target)
        if patch is None and not result["deleted_pods"]:
            result["msg"] = f"{workload.label} already runs the template of revision {target.number}"

    deleted_pods = result.get("deleted_pods", [])
    result["changed"] = patch is not None or bool(deleted_pods)
    if patch is not None and diff:
        result["diff"] = {"before": workload.diff_view(workload.template, workload.change_cause), "after": after}
    if result["changed"] and not check_mode:
        if patch is not None:
            api.patch(workload.kind, workload.name, workload.namespace, *patch)
        for pod in deleted_pods:
            api.delete("Pod", pod, workload.namespace)
        workload.refresh()

    # Waiting on a change that check mode did not make would only report the old rollout.
    if params["wait"] and not (check_mode and result["changed"]):
        return _wait(workload, api, params, check_mode, result, 0.0, until)
    result["rollout"] = workload.report()
    return result


def _wait(workload, api, params, check_mode, result, waited, until):
    """The wait of run(), for one slice: the result gains RV(pending) and ``resume`` when the slice ends first."""
    try:
        result["duration"] = workload.wait(params["wait_timeout"], params["wait_sleep"], waited, until)
    except Unfinished as unfinished:
        result["rollout"] = workload.report()
        return {
            **result,
            "pending": [unfinished.state],
            "resume": {
                "waited": unfinished.waited,
                "at": time.time(),
                "result": {key: value for key, value in result.items() if key != "rollout"},
            },
        }
    except RolloutError as exc:
        # The failure still says what was changed before the wait.
        exc.result = {**result, **exc.result}
        raise
    record = workload.last_good_patch() if params.get("record_last_good") else None
    if record is not None:
        result["changed"] = True
        if not check_mode:
            api.patch(workload.kind, workload.name, workload.namespace, *record)
            workload.refresh()
    result["rollout"] = workload.report()
    return result
