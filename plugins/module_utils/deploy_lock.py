# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A deploy lock per cluster and platform namespace: a coordination.k8s.io/v1 Lease (the logic of
botcore.platform.deploy_lock).

Every write names the resourceVersion it read (replace, delete with preconditions) or fails when the Lease exists
(create): of two runs that race, the API server lets exactly one write win, and the other reads the Lease again
and decides again. Expiry is judged by the runner's clock against ``renewTime + leaseDurationSeconds``, as
Kubernetes' own leader election does.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

try:
    from kubernetes.dynamic.exceptions import ConflictError, DynamicApiError, NotFoundError
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class ConflictError(DynamicApiError):
        pass

    class NotFoundError(DynamicApiError):
        pass


API_VERSION = "coordination.k8s.io/v1"
NAME_PREFIX = "botcore-platform-deploy-"
JOB_ANNOTATION = "botcore.platform/job"
NAMESPACE_LABEL = "botcore.platform/namespace"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# datetime.UTC needs Python 3.11; modules also run on older targets.
UTC = timezone.utc  # noqa: UP017

CREATE = "create"
TAKE_OVER = "take_over"
RENEW = "renew"
RELEASE = "release"
BREAK = "break"
WAIT = "wait"
NOTHING = "nothing"


# The Lease's own options, shared by botcore.platform.deploy_lock and the modules that renew its lock.
LEASE_ARG_SPEC = {
    "lease_duration": {"type": "int", "default": 900},
    "lock_namespace": {"type": "str", "default": "default"},
    "lock_name": {"type": "str"},
}


class LockError(Exception):
    """The lock cannot be had or kept; ``result`` goes into the module's failure result."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result or {}


class Lost(Exception):
    """Another writer changed the Lease between our read and our write: read it again and decide again."""


class Api:
    """The Lease calls the lock makes, on top of kubernetes.core's K8SClient (the dynamic client)."""

    def __init__(self, client):
        self._resource = client.resource("Lease", API_VERSION)

    def _call(self, action, method, lease_name, namespace, **kwargs):
        try:
            return getattr(self._resource, method)(namespace=namespace, **kwargs).to_dict()
        except NotFoundError:
            if method == "get":
                return None
            raise Lost() from None  # deleted since we read it
        except ConflictError:
            raise Lost() from None
        except DynamicApiError as exc:
            raise LockError(f"{action} Lease {namespace}/{lease_name} failed: {exc.summary()}") from exc

    def get(self, name, namespace):
        """Return the Lease as a dict, or None if it does not exist."""
        return self._call("reading", "get", name, namespace, name=name)

    def create(self, body):
        meta = body["metadata"]
        return self._call("creating", "create", meta["name"], meta["namespace"], body=body)

    def replace(self, body):
        meta = body["metadata"]
        return self._call("replacing", "replace", meta["name"], meta["namespace"], body=body, name=meta["name"])

    def delete(self, lease):
        meta = lease["metadata"]
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "preconditions": {"uid": meta["uid"], "resourceVersion": meta["resourceVersion"]},
        }
        return self._call("deleting", "delete", meta["name"], meta["namespace"], name=meta["name"], body=options)


def lease_name(namespace):
    return NAME_PREFIX + namespace


def format_time(moment):
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text):
    """A MicroTime as the API server returns it (with or without the fraction); None stays None."""
    if not text:
        return None
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def describe(lease, now):
    """Who holds the Lease, since when and until when, as the module returns it."""
    if lease is None:
        return {"holder": None, "job": None, "acquired": None, "renewed": None, "expires": None, "expired": None}
    spec = lease.get("spec") or {}
    renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
    expires = renewed + timedelta(seconds=spec.get("leaseDurationSeconds") or 0) if renewed else None
    return {
        "holder": spec.get("holderIdentity") or None,
        "job": ((lease.get("metadata") or {}).get("annotations") or {}).get(JOB_ANNOTATION),
        "acquired": spec.get("acquireTime"),
        "renewed": spec.get("renewTime"),
        "expires": format_time(expires) if expires else None,
        "expired": expires is None or expires <= now,
    }


def decide(lease, state, holder, now, break_lock=False):
    """What to do with the Lease as read: one of the action constants, or a LockError for a lock that is not ours."""
    info = describe(lease, now)
    ours = lease is not None and info["holder"] == holder
    free = lease is not None and (info["holder"] is None or info["expired"])
    if state == "acquired":
        if lease is None:
            return CREATE
        if ours:
            return RENEW
        return TAKE_OVER if free else WAIT
    if state == "renewed":
        if ours:
            return RENEW  # even past its expiry: nobody took it over, so nobody else ran
        raise LockError(_lost_message(lease, holder, info), info)
    if lease is None:
        return NOTHING
    if ours or info["holder"] is None:
        return RELEASE
    if break_lock:
        return BREAK
    raise LockError(
        f"{_where(lease)} is held by {_who(info)}, not by {holder}; it is left alone. "
        "Set break=true to break a stale lock.",
        info,
    )


def _where(lease):
    meta = lease["metadata"]
    return f"the deploy lock (Lease {meta['namespace']}/{meta['name']})"


def _who(info):
    job = f" (job {info['job']})" if info["job"] else ""
    return f"{info['holder']}{job}, taken {info['acquired']}, expires {info['expires']}"


def _lost_message(lease, holder, info):
    if lease is None:
        return f"the deploy lock of {holder} is gone (released or broken by another run); this run no longer holds it"
    return f"{_where(lease)} is no longer held by {holder}: it is held by {_who(info)}"


def _body(params, lease, holder, now, action):
    """The Lease to write for a create, take-over or renewal."""
    stamp = format_time(now)
    if lease is None:
        lease = {
            "apiVersion": API_VERSION,
            "kind": "Lease",
            "metadata": {
                "name": params["lock_name"],
                "namespace": params["lock_namespace"],
                "labels": {"app.kubernetes.io/managed-by": "botcore.platform", NAMESPACE_LABEL: params["namespace"]},
            },
            "spec": {},
        }
    else:
        lease = {k: lease[k] for k in ("apiVersion", "kind", "metadata", "spec")}
    spec = dict(lease.get("spec") or {}, renewTime=stamp, leaseDurationSeconds=params["lease_duration"])
    if action in (CREATE, TAKE_OVER):
        spec.update(holderIdentity=holder, acquireTime=stamp)
        if action == TAKE_OVER:
            spec["leaseTransitions"] = (spec.get("leaseTransitions") or 0) + 1
        annotations = dict(lease["metadata"].get("annotations") or {})
        if params.get("job"):
            annotations[JOB_ANNOTATION] = params["job"]
        else:
            annotations.pop(JOB_ANNOTATION, None)
        lease["metadata"] = dict(lease["metadata"], annotations=annotations)
    lease["spec"] = spec
    return lease


def run(api, params, check_mode, clock=time.time, sleep=time.sleep):
    """Bring the lock to ``params['state']``; return the module result."""
    holder = params["holder"]
    name, namespace = params["lock_name"], params["lock_namespace"]
    started = clock()
    deadline = started + params["wait_timeout"]
    while True:
        now = datetime.fromtimestamp(clock(), UTC)
        lease = api.get(name, namespace)
        action = decide(lease, params["state"], holder, now, params["break"])
        before = describe(lease, now)
        if action == WAIT and not check_mode:
            if clock() >= deadline:
                raise LockError(
                    f"{_where(lease)} is held by {_who(before)}; waited {params['wait_timeout']}s for it. "
                    "If that run is dead, its lock expires on its own; or break it with state=released, break=true.",
                    before,
                )
            sleep(max(0, min(params["wait_sleep"], deadline - clock())))
            continue
        result = {
            "changed": action not in (WAIT, NOTHING),
            "operation": action,
            "lease": {"name": name, "namespace": namespace},
            "holder": holder,
            "previous": before,
            "waited": round(clock() - started),
        }
        if check_mode or action == NOTHING:
            return result
        try:
            if action in (RELEASE, BREAK):
                api.delete(lease)
                return result
            written = (api.create if action == CREATE else api.replace)(_body(params, lease, holder, now, action))
        except Lost:
            continue  # another run wrote first: read the Lease it left and decide again
        current = describe(written, now)
        result.update({k: current[k] for k in ("job", "acquired", "renewed", "expires")})
        return result


def renew(api, lock, clock=time.time):
    """Renew the lock ``lock['holder']`` holds (a module that writes under site.yml's lock does it with its own
    client, instead of a task of its own); raise LockError when another run holds it or nobody does. ``lock`` has
    holder, namespace and the options of LEASE_ARG_SPEC, as the module's argument spec gives them."""
    return run(api, _held(lock, "renewed"), check_mode=False, clock=clock)


def release(api, lock, clock=time.time):
    """Release the lock ``lock['holder']`` holds (the module run that writes last under it, instead of a task of its
    own); raise LockError when another run holds it. ``lock`` as for renew."""
    return run(api, _held(lock, "released"), check_mode=False, clock=clock)


def _held(lock, state):
    return {
        "namespace": lock["namespace"],
        "state": state,
        "holder": lock["holder"],
        "job": None,
        "lease_duration": lock["lease_duration"],
        "wait_timeout": 0,
        "wait_sleep": 1,
        "break": False,
        "lock_namespace": lock["lock_namespace"],
        "lock_name": lock["lock_name"] or lease_name(lock["namespace"]),
    }
