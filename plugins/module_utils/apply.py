# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply engine of botcore.platform.apply: one client, one discovery, server-side apply in phases, the rollout
wait of every workload at once with rollback, and the ApplySet prune.

A run reads every object, then has the API server dry-run each one it can (its namespace exists) before the first
write, so that what the server would refuse is refused before anything changes; it writes only what the dry run says
would change. Check mode stops after the dry run.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ansible_collections.botcore.platform.plugins.module_utils import apply_rules as rules
from ansible_collections.botcore.platform.plugins.module_utils import rollout

try:
    from kubernetes.dynamic.exceptions import (
        ConflictError,
        DynamicApiError,
        NotFoundError,
        ResourceNotFoundError,
        ResourceNotUniqueError,
    )
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class ConflictError(DynamicApiError):
        pass

    class NotFoundError(DynamicApiError):
        pass

    class ResourceNotFoundError(Exception):
        pass

    class ResourceNotUniqueError(Exception):
        pass


# Enough to overlap the round trips of a component's objects; the API server, not the controller, is the limit.
WORKERS = 8
DRY_RUN = "All"
# Holds the replica count of a workload between the collection's letting go of it and its HPA's first scale.
HANDOVER_MANAGER = "botcore-platform-handover"


class ApplyError(Exception):
    """A run that cannot go on; ``result`` goes into the module's failure result."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result or {}


@dataclass
class Item:
    """One object of the run and what the run learnt about it."""

    component: str
    obj: dict
    resource: object = None
    live: dict | None = None
    planned: dict | None = None
    applied: dict | None = None
    conflicts: list = field(default_factory=list)
    # Whether the dry run (or, where none was possible, the absence of the object) says the apply changes it.
    changes: bool = False

    @property
    def label(self):
        return rules.object_label(self.obj)

    @property
    def namespace(self):
        return self.obj["metadata"].get("namespace")


class LockedClient:
    """kubernetes.core's K8SClient with discovery behind a lock: the dynamic client's cache is not thread-safe."""

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()
        self._resources = {}

    def resource(self, kind, api_version):
        with self._lock:
            key = (kind, api_version)
            if key not in self._resources:
                self._resources[key] = self._client.resource(kind, api_version)
            return self._resources[key]

    def search(self, group, kind):
        """The served resources of a group and kind, preferred version first."""
        with self._lock:
            found = self._client.client.resources.search(group=group, kind=kind)
            return sorted(found, key=lambda resource: not getattr(resource, "preferred", False))


def _summary(exc):
    return exc.summary() if hasattr(exc, "summary") else str(exc)


def _status(exc):
    try:
        return json.loads(exc.body)
    except (TypeError, ValueError, AttributeError):
        return {}


class Engine:
    def __init__(self, client, params, check_mode=False, diff=False, warn=None):
        self.client = LockedClient(client)
        self.api = rollout.Api(self.client)
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.warn = warn or (lambda message: None)
        self.manager = params["field_manager"]
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)
        self.result = {"changed": False, "objects": [], "conflicts": [], "pruned": [], "rollouts": []}
        self.diffs = []

    # ---- the API calls -------------------------------------------------------------------------------------------

    def _map(self, function, values):
        return list(self.pool.map(function, values))

    def _resource(self, item):
        try:
            return self.client.resource(item.obj["kind"], item.obj["apiVersion"])
        except (ResourceNotFoundError, ResourceNotUniqueError):
            raise ApplyError(
                f"{item.component}: {item.label}: the cluster serves no {item.obj['kind']} in {item.obj['apiVersion']} "
                "(is its CRD installed?)"
            ) from None

    def _get(self, item):
        metadata = item.obj["metadata"]
        try:
            return item.resource.get(name=metadata["name"], namespace=metadata.get("namespace")).to_dict()
        except NotFoundError:
            return None
        except DynamicApiError as exc:
            raise ApplyError(f"{item.component}: reading {item.label} failed: {_summary(exc)}") from exc

    def _apply(self, item, dry_run):
        """Server-side apply without force; on a conflict, name its fields and managers and apply with force."""
        metadata = item.obj["metadata"]
        params = {"field_manager": self.manager, "namespace": metadata.get("namespace")}
        if dry_run:
            params["dry_run"] = DRY_RUN
        try:
            try:
                return item.resource.server_side_apply(body=item.obj, **params).to_dict(), []
            except ConflictError as exc:
                found = rules.conflicts(_status(exc))
                if not found:
                    raise
                return item.resource.server_side_apply(body=item.obj, force_conflicts=True, **params).to_dict(), found
        except DynamicApiError as exc:
            verb = "the dry run of" if dry_run else "applying"
            raise ApplyError(
                f"{item.component}: {verb} {item.label}{self._where(item)} was refused: {_summary(exc)}"
            ) from exc

    @staticmethod
    def _where(item):
        return f" in namespace {item.namespace}" if item.namespace else ""

    # ---- the run -------------------------------------------------------------------------------------------------

    def run(self, components):
        try:
            return self._run(components)
        finally:
            self.pool.shutdown(wait=True)

    def _run(self, components):
        sets = [self._applyset(component) for component in components]
        items = [item for applyset in sets for item in applyset["items"]]
        for item in items:
            item.resource = self._resource(item)
        for applyset in sets:
            applyset["parent_item"].resource = self._resource(applyset["parent_item"])

        resume = self.params.get("resume")
        if not resume:
            self._read(items + [applyset["parent_item"] for applyset in sets])
            self._plan(items)
            for item in items:
                for conflict in item.conflicts:
                    self._conflict(item, conflict)

        if self.check_mode:
            for item in items:
                self._record(item, item.planned if item.planned is not None else item.obj)
            self._supersede(sets)
            for applyset in sets:
                self._prune(applyset)
            self._finish()
            return self.result

        resources = {id(item.obj): item.resource for item in items}
        split = {
            phase: [items[index] for index in indexes]
            for phase, indexes in rules.phases(
                [(item.component, item.obj) for item in items], lambda obj: not resources[id(obj)].namespaced
            ).items()
        }
        workloads = split["workloads"]
        if resume:
            # Everything up to the wait was written by the run that started it; what follows is read afresh.
            self.result, self.diffs = copy.deepcopy(resume["result"]), copy.deepcopy(resume["diffs"])
            self._read(split["after"] + [applyset["parent_item"] for applyset in sets])
            self._plan(split["after"])
        else:
            self._supersede(sets)
            self._write(split["cluster"])
            # The parents record the union of the group-kinds and namespaces before any member is written, so that
            # a run that stops half-way leaves every member findable by the next run's prune.
            self._write_parents(sets, union=True)
            self._write(split["namespaced"])
            self._write(workloads)
        if self.params["wait"] and workloads and not self._wait(workloads, resume or {}):
            return self.result
        self._write(split["after"])
        for applyset in sets:
            self._prune(applyset)
        self._write_parents(sets, union=False)
        self._finish()
        return self.result

    def _applyset(self, component):
        name = component["name"]
        namespace = component["namespace"]
        parent_name = rules.parent_name(name)
        set_id = rules.applyset_id(parent_name, namespace)
        objects = component.get("objects") or []
        if self.params["prune"]:
            objects = [rules.label_member(obj, set_id) for obj in objects]
        parent = rules.parent_object(name, namespace, self.params["tooling"], [], [])
        return {
            "component": name,
            "namespace": namespace,
            "id": set_id,
            "items": [Item(name, obj) for obj in objects],
            "parent_item": Item(name, parent),
            "superseded": component.get("superseded") or [],
        }

    def _supersede(self, sets):
        """Delete what a component supersedes (its ``superseded`` selectors) but no longer renders, with dependents
        first, and wait until it is gone, before anything is written, so that the old and the new never run at once
        (MongoDB's replica-set Jobs of earlier inputs). Check mode: say what would go."""
        selectors = [(applyset, selector) for applyset in sets for selector in applyset["superseded"]]

        def find(entry):
            applyset, selector = entry
            kind = selector["kind"]
            try:
                resource = self.client.resource(kind, selector["api_version"])
                found = resource.get(namespace=selector["namespace"], label_selector=selector["label_selector"])
            except (ResourceNotFoundError, ResourceNotUniqueError):
                return []
            except DynamicApiError as exc:
                raise ApplyError(
                    f"{applyset['component']}: listing the {kind}s it supersedes failed: {_summary(exc)}"
                ) from exc
            rendered = {
                item.obj["metadata"]["name"]
                for item in applyset["items"]
                if item.obj["kind"] == kind and item.namespace == selector["namespace"]
            }
            return [
                (applyset["component"], resource, dict(obj, apiVersion=resource.group_version, kind=kind))
                for obj in found.to_dict()["items"]
                if obj["metadata"]["name"] not in rendered
            ]

        stale = [entry for found in self._map(find, selectors) for entry in found]
        deadline = time.monotonic() + self.params["wait_timeout"]

        def delete(entry):
            component, resource, obj = entry
            if not self._delete(component, resource, obj, "Foreground", "superseded") or self.check_mode:
                return
            metadata = obj["metadata"]
            try:
                while True:
                    resource.get(name=metadata["name"], namespace=metadata["namespace"])
                    if time.monotonic() >= deadline:
                        raise ApplyError(
                            f"{component}: {rules.object_label(obj)}, superseded, is still there after "
                            f"{self.params['wait_timeout']}s"
                        )
                    time.sleep(self.params["wait_sleep"])
            except NotFoundError:
                pass
            except DynamicApiError as exc:
                raise ApplyError(
                    f"{component}: deleting {rules.object_label(obj)}, superseded, failed: {_summary(exc)}"
                ) from exc

        self._map(delete, stale)
        for component, _resource, obj in stale:
            self._record_deleted(component, obj)

    def _read(self, items):
        def read(item):
            item.live = self._get(item)

        self._map(read, items)

    def _namespaces(self, items):
        """Which of the items' namespaces exist now, one read each."""
        names = sorted({item.namespace for item in items if item.namespace})
        resource = self.client.resource("Namespace", "v1")

        def exists(name):
            try:
                resource.get(name=name)
                return True
            except NotFoundError:
                return False
            except DynamicApiError as exc:
                raise ApplyError(f"reading namespace {name} failed: {_summary(exc)}") from exc

        return dict(zip(names, self._map(exists, names), strict=True))

    def _plan(self, items):
        """The server's dry run of each object whose namespace exists: refusals before any write, and the result the
        apply would have. An object in a namespace that does not exist yet is simply created."""
        present = self._namespaces(items)

        def plan(item):
            if item.namespace and not present[item.namespace]:
                item.changes = True
                return
            item.planned, item.conflicts = self._apply(item, dry_run=True)
            item.changes = rules.changes(item.live, item.planned, self.manager)

        self._map(plan, items)

    def _conflict(self, item, conflict):
        record = {
            "component": item.component,
            "kind": item.obj["kind"],
            "name": item.obj["metadata"]["name"],
            "namespace": item.namespace,
            **conflict,
        }
        self.result["conflicts"].append(record)
        self.warn(
            f"{item.component}: took over {conflict['field']} of {item.label}{self._where(item)} "
            f"from {conflict['manager']}"
        )

    def _hand_over_replicas(self, item):
        """A workload that leaves its replicas to an HPA from now on keeps its live count: applying without the field
        it owned would reset it to 1. As Kubernetes documents, another manager takes the field over first."""
        spec = item.obj.get("spec") or {}
        owned = rules.manager_fields(item.live, self.manager).get("f:spec") or {}
        if item.obj["kind"] not in rules.WORKLOAD_KINDS or "replicas" in spec or "f:replicas" not in owned:
            return
        handover = Item(
            item.component,
            {
                "apiVersion": item.obj["apiVersion"],
                "kind": item.obj["kind"],
                "metadata": {"name": item.obj["metadata"]["name"], "namespace": item.namespace},
                "spec": {"replicas": item.live["spec"]["replicas"]},
            },
            resource=item.resource,
        )
        params = {"field_manager": HANDOVER_MANAGER, "namespace": item.namespace, "force_conflicts": True}
        try:
            handover.resource.server_side_apply(body=handover.obj, **params)
        except DynamicApiError as exc:
            raise ApplyError(
                f"{item.component}: handing the replicas of {item.label} over to its HPA failed: {_summary(exc)}"
            ) from exc

    def _write(self, items):
        def write(item):
            if not item.changes:
                item.applied = item.live
                return
            self._hand_over_replicas(item)
            item.applied, found = self._apply(item, dry_run=False)
            if found and not item.conflicts:
                # A manager wrote the field between the dry run and the apply.
                item.conflicts = found
                for conflict in found:
                    self._conflict(item, conflict)

        self._map(write, items)
        for item in items:
            self._record(item, item.applied)

    def _record(self, item, after):
        changed = item.live is None or (item.changes and rules.changes(item.live, after, self.manager))
        action = "created" if item.live is None else "updated" if changed else "unchanged"
        self.result["objects"].append(
            {
                "component": item.component,
                "kind": item.obj["kind"],
                "name": item.obj["metadata"]["name"],
                "namespace": item.namespace,
                "action": action,
            }
        )
        if changed:
            self.result["changed"] = True
            if self.diff:
                fields = rules.merge_fields(
                    rules.manager_fields(item.live, self.manager), rules.manager_fields(after, self.manager)
                )
                # An object the server has not seen (its namespace is new) shows as rendered.
                entry = rules.readable_diff(item.component, item.live, after, fields)
                if entry is not None:
                    self.diffs.append(entry)

    # ---- the ApplySet -------------------------------------------------------------------------------------------

    def _parent(self, applyset, union):
        live = applyset["parent_item"].live
        annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
        group_kinds = {rules.group_kind(item.obj) for item in applyset["items"]}
        namespaces = {item.namespace for item in applyset["items"] if item.namespace}
        if union:
            group_kinds |= set(rules.split_list(annotations.get(rules.GROUP_KINDS_ANNOTATION)))
            namespaces |= set(rules.split_list(annotations.get(rules.NAMESPACES_ANNOTATION)))
        return rules.parent_object(
            applyset["component"], applyset["namespace"], self.params["tooling"], group_kinds, namespaces
        )

    def _write_parents(self, sets, union):
        if not self.params["prune"]:
            return
        parents = []
        for applyset in sets:
            item = applyset["parent_item"]
            item.obj = self._parent(applyset, union)
            parents.append(item)

        def write(item):
            result, _conflicts = self._apply(item, dry_run=False)
            changed = rules.changes(item.live, result, self.manager)
            item.live = result
            return changed

        if any(self._map(write, parents)):
            self.result["changed"] = True

    def _members(self, applyset):
        """The live members of the set: every object labelled part-of its ID, in the group-kinds and namespaces
        that its parent records or this run renders."""
        parent = self._parent(applyset, union=True)
        annotations = parent["metadata"]["annotations"]
        namespaces = [applyset["namespace"], *rules.split_list(annotations.get(rules.NAMESPACES_ANNOTATION))]
        selector = f"{rules.PART_OF_LABEL}={applyset['id']}"
        protected = set(self.params["prune_protected_kinds"])
        lists = []
        for value in rules.split_list(annotations.get(rules.GROUP_KINDS_ANNOTATION)):
            group, kind = rules.split_group_kind(value)
            if kind in protected:
                continue
            resources = self.client.search(group, kind)
            if not resources:
                # Its CRD is gone, and every object of the kind with it.
                continue
            resource = resources[0]
            for namespace in namespaces if resource.namespaced else [None]:
                lists.append((resource, namespace))

        def read(entry):
            resource, namespace = entry
            try:
                return resource.get(namespace=namespace, label_selector=selector).to_dict()["items"]
            except NotFoundError:
                return []
            except DynamicApiError as exc:
                raise ApplyError(
                    f"{applyset['component']}: listing the {resource.kind}s of its ApplySet failed: {_summary(exc)}"
                ) from exc

        members = []
        for (resource, _namespace), found in zip(lists, self._map(read, lists), strict=True):
            for obj in found:
                obj.setdefault("apiVersion", resource.group_version)
                obj.setdefault("kind", resource.kind)
                members.append((resource, obj))
        return members

    def _prune(self, applyset):
        """Delete the members of the set that this run no longer renders (check mode: say which would go)."""
        if not self.params["prune"] or applyset["parent_item"].live is None:
            return
        wanted = {rules.object_key(item.obj) for item in applyset["items"]}
        stale = [(resource, obj) for resource, obj in self._members(applyset) if rules.object_key(obj) not in wanted]

        self._map(lambda entry: self._delete(applyset["component"], *entry, "Background", "no longer rendered"), stale)
        for _resource, obj in stale:
            self._record_deleted(applyset["component"], obj)

    def _delete(self, component, resource, obj, propagation, why):
        """Delete an object (check mode: a dry run); False when it was gone already."""
        metadata = obj["metadata"]
        try:
            resource.delete(
                name=metadata["name"],
                namespace=metadata.get("namespace"),
                propagation_policy=propagation,
                **({"dry_run": DRY_RUN} if self.check_mode else {}),
            )
        except NotFoundError:
            return False
        except DynamicApiError as exc:
            raise ApplyError(
                f"{component}: deleting {rules.object_label(obj)}, {why}, failed: {_summary(exc)}"
            ) from exc
        return True

    def _record_deleted(self, component, obj):
        """RV(pruned) and the diff of an object the run deleted (check mode: would delete)."""
        metadata = obj["metadata"]
        self.result["changed"] = True
        self.result["pruned"].append(
            {
                "component": component,
                "kind": obj["kind"],
                "name": metadata["name"],
                "namespace": metadata.get("namespace"),
            }
        )
        if self.diff:
            self.diffs.append(rules.readable_diff(component, obj, None, rules.manager_fields(obj, self.manager)))

    # ---- the rollout wait ---------------------------------------------------------------------------------------

    def _wait(self, workloads, resume):
        """Wait for every workload at once; roll back the failed ones as the rollout module does, then fail naming
        component, object, revision and reason.

        With O(progress_interval) the wait lasts one slice. If a workload is still rolling out at its end, the
        result gains RV(pending) and ``resume`` (the seconds each one has waited, and the outcomes so far) and False
        is returned: the run stops there, and the next module run, given ``resume``, waits on where this one
        stopped. A slice that waited and saw a rollout fail stops too: the rollbacks are the next slice's.
        """
        params = self.params
        until = rollout.slice_end(params)
        carried = {entry["key"]: entry for entry in resume.get("pending", [])}
        # Whether the run that started the wait changed a workload decides its rollback and is in its message.
        changes = {entry["key"]: entry["changes"] for entry in [*carried.values(), *resume.get("failures", [])]}
        for item in workloads:
            item.changes = changes.get(workload_key(item.obj), item.changes)
        waiting = [item for item in workloads if not resume or workload_key(item.obj) in carried]

        def wait(item):
            status = {
                "kind": item.obj["kind"],
                "name": item.obj["metadata"]["name"],
                "namespace": item.namespace,
                "state": "status",
                "wait": True,
                "wait_timeout": params["wait_timeout"],
                "wait_sleep": params["wait_sleep"],
                "record_last_good": True,
            }
            entry = carried.get(workload_key(item.obj))
            if entry is not None:
                status["resume"] = {"waited": entry["waited"], "at": entry["at"], "result": {"changed": False}}
            try:
                return rollout.run(self.api, status, until=until), None
            except rollout.RolloutError as exc:
                return None, {"msg": str(exc), **exc.result}

        outcomes = self._map(wait, waiting)
        by_key = {workload_key(item.obj): item for item in workloads}
        failures = [(by_key[entry["key"]], entry["failure"]) for entry in resume.get("failures", [])]
        pending = []
        for item, (report, failure) in zip(waiting, outcomes, strict=True):
            if failure is not None:
                failures.append((item, failure))
                continue
            self.result["changed"] |= report["changed"]
            if "resume" in report:
                pending.append((item, report))
            else:
                self.result["rollouts"].append(report["rollout"])
        if pending:
            return self._stop(
                [{"component": item.component, **report["pending"][0]} for item, report in pending],
                pending=[
                    {
                        "key": workload_key(item.obj),
                        "waited": report["resume"]["waited"],
                        "at": report["resume"]["at"],
                        "changes": item.changes,
                    }
                    for item, report in pending
                ],
                failures=[
                    {"key": workload_key(item.obj), "changes": item.changes, "failure": failure}
                    for item, failure in failures
                ],
            )
        if not failures:
            return True
        if until is not None and waiting and params["rollback_on_failure"]:
            # A rollback is the first thing a slice does, not the end of one that waited: the controller looks at
            # itself between two slices, so a run whose ansible-playbook was killed (its workers live on in sessions of
            # their own) stops there instead of rolling back behind the back of the rerun that took its lock over.
            return self._stop(
                [],
                pending=[],
                failures=[
                    {"key": workload_key(item.obj), "changes": item.changes, "failure": failure}
                    for item, failure in failures
                ],
            )
        # A rollback a slice left waiting: its undo was made, only its wait goes on.
        undoing = {entry["key"]: entry for entry in resume.get("rollbacks", [])}

        def roll_back(entry):
            item, failure = entry
            earlier = undoing.get(workload_key(item.obj))
            if earlier is not None and "resume" not in earlier:
                return earlier["outcome"]
            last_good = (failure.get("rollout") or {}).get("last_good") or {}
            changed = item.changes
            history = (failure.get("rollout") or {}).get("history") or []
            if earlier is None and not (
                params["rollback_on_failure"]
                and "rollout" in failure
                and (last_good.get("restorable") or (changed and len(history) > 1))
            ):
                return None
            undo = {
                "kind": item.obj["kind"],
                "name": item.obj["metadata"]["name"],
                "namespace": item.namespace,
                "state": "undone",
                "to_revision": None,
                "to_last_good": earlier["to_last_good"] if earlier else bool(last_good.get("restorable")),
                "wait": True,
                "wait_timeout": params["wait_timeout"],
                "wait_sleep": params["wait_sleep"],
                "record_last_good": True,
            }
            if earlier is not None:
                undo["resume"] = earlier["resume"]
            try:
                return {
                    "failed": False,
                    "to_last_good": undo["to_last_good"],
                    **rollout.run(self.api, undo, until=until),
                }
            except rollout.RolloutError as exc:
                return {"failed": True, "to_last_good": undo["to_last_good"], "msg": str(exc), **exc.result}

        rollbacks = self._map(roll_back, failures)
        if any(rollback and "resume" in rollback for rollback in rollbacks):
            return self._stop(
                [
                    {"component": item.component, "rollback": True, **rollback["pending"][0]}
                    for (item, _failure), rollback in zip(failures, rollbacks, strict=True)
                    if rollback and "resume" in rollback
                ],
                pending=[],
                failures=[
                    {"key": workload_key(item.obj), "changes": item.changes, "failure": failure}
                    for item, failure in failures
                ],
                rollbacks=[
                    {
                        "key": workload_key(item.obj),
                        "to_last_good": rollback["to_last_good"],
                        "resume": rollback["resume"],
                    }
                    if rollback and "resume" in rollback
                    else {"key": workload_key(item.obj), "outcome": rollback}
                    for (item, _failure), rollback in zip(failures, rollbacks, strict=True)
                ],
            )
        messages = [
            failure_message(
                item.component,
                item.obj["kind"],
                item.obj["metadata"]["name"],
                item.changes,
                failure,
                rollback,
                params["rollback_on_failure"],
            )
            for (item, failure), rollback in zip(failures, rollbacks, strict=True)
        ]
        self.result["changed"] = True
        self._finish()
        raise ApplyError("; ".join(messages), {**self.result, "rollbacks": [r for r in rollbacks if r]})

    def _stop(self, lines, **state):
        """End the run with the wait slice: RV(pending) and what the next run resumes from; return False."""
        self.result["pending"] = lines
        self.result["resume"] = {
            "result": copy.deepcopy({key: value for key, value in self.result.items() if key != "pending"}),
            "diffs": copy.deepcopy(self.diffs),
            **state,
        }
        self._finish()
        return False

    def _finish(self):
        if self.diffs:
            self.result["diff"] = self.diffs


def workload_key(obj):
    """How a resumed run finds a workload of the run that started the wait."""
    return "/".join((obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"]))


def _images(revision):
    return ", ".join(dict.fromkeys((revision or {}).get("images", {}).values()))


def failure_message(component, kind, name, changed, failure, rollback, rollback_on_failure):
    """What a failed rollout says: the object, why it failed, and whether and where it was rolled back."""
    last_good = (failure.get("rollout") or {}).get("last_good") or {}
    by_run = "; this run " + ("changed it" if changed else "did not change it")
    if rollback is None:
        if not rollback_on_failure:
            reason = "platform_rollback_on_failure is false"
        elif changed:
            reason = "it has no earlier revision"
        elif not last_good:
            reason = "this run did not change it and no last good revision is recorded on it"
        elif last_good.get("revision") is None:
            reason = (
                f"this run did not change it and its last good revision {last_good.get('recorded_revision')} "
                "is no longer kept"
            )
        else:
            reason = f"it runs its last good revision {last_good['revision']} already"
        outcome = "left as it is: " + reason
    elif rollback["failed"]:
        which = "last good" if rollback["to_last_good"] else "previous"
        outcome = f"the rollback to its {which} revision failed too: {rollback.get('msg', '')}{by_run}"
    else:
        which = ", its last good revision" if rollback["to_last_good"] else ", its previous revision"
        outcome = (
            f"rolled back from revision {rollback['from']['revision']} ({_images(rollback['from'])}) to revision "
            f"{rollback['to']['revision']} ({_images(rollback['to'])}){which}, running as revision "
            f"{rollback['rollout']['revision']}{by_run}"
        )
    return f"{component}: {kind} {name} did not become Ready ({failure.get('msg') or 'no reason given'}); {outcome}"
