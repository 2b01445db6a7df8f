#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take, renew and release the deploy lock of a platform namespace (a Lease)
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Serialises the runs that write one platform namespace of one cluster, e.g. two AWX jobs started together.
    The lock is a C(coordination.k8s.io/v1) Lease named C(botcore-platform-deploy-<namespace>).
  - The Lease lives in O(lock_namespace) (V(default)), not in the platform namespace, so that the first deploy
    into a namespace that does not exist yet is locked too, and a run that deletes the namespace keeps its lock.
  - V(acquired) waits up to O(wait_timeout) seconds while another holder has an unexpired lock, then fails
    naming the holder, its job, when it took the lock and when the lock expires.
  - A lock expires O(lease_duration) seconds after its last renewal. A run that dies (killed, lost its runner)
    stops renewing, and the next run takes its lock over once it has expired.
  - Each write carries the C(resourceVersion) it read, so of two runs that race exactly one wins; the other reads
    the Lease again and waits.
  - Expiry is judged by the clock of the host the module runs on; runners whose clocks differ by more than a few
    seconds make it unreliable.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: Reports the action it would take (create, take over, renew, release, break, wait) and writes
      nothing. It never waits.
    support: full
  diff_mode:
    description: Returns no diff; RV(previous) shows the lock as it was.
    support: none
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  namespace:
    description:
      - The platform namespace whose deploys the lock serialises. It need not exist.
    type: str
    required: true
  state:
    description:
      - V(acquired) takes the lock, or renews it when O(holder) holds it already.
      - V(renewed) renews the lock O(holder) holds. It fails when another run holds it or nobody does (broken,
        or expired and taken over), since the run has lost its exclusivity and must stop.
      - V(released) deletes the Lease when O(holder) holds it, or when it has no holder. A lock held by another
        run is left alone and the module fails, unless O(break=true).
    type: str
    choices: [acquired, renewed, released]
    default: acquired
  holder:
    description:
      - Who holds the lock, written to C(spec.holderIdentity). Ownership is this exact string.
      - By default C(user@host:pid) of the module process at V(acquired), which is unique per run; give the
        RV(holder) that V(acquired) returned to V(renewed) and V(released).
      - Required with V(renewed), and with V(released) unless O(break=true).
    type: str
  job:
    description:
      - The playbook or AWX job that takes the lock (e.g. C(site.yml) or C(AWX job 42)), shown to whoever waits.
        Stored in the Lease's C(botcore.platform/job) annotation.
    type: str
  lease_duration:
    description:
      - Seconds a lock lasts after its last renewal. It must exceed the longest stretch of a run between two
        renewals (e.g. a Helm install that waits); a lock left by a killed run blocks others this long.
    type: int
    default: 900
  wait_timeout:
    description:
      - How many seconds V(acquired) waits for another holder's lock before it fails. V(0) fails at once.
    type: int
    default: 600
  wait_sleep:
    description:
      - Seconds between two reads of the Lease while waiting.
    type: int
    default: 5
  break:
    description:
      - With V(released), delete the lock whoever holds it. This is the switch for a stale lock whose run is
        known to be dead; breaking the lock of a live run lets two runs write at once.
    type: bool
    default: false
  lock_namespace:
    description:
      - The namespace that holds the Lease. It must exist; V(default) always does.
    type: str
    default: default
  lock_name:
    description:
      - The name of the Lease; by default C(botcore-platform-deploy-<namespace>).
    type: str
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - name: Leases
    description: The Kubernetes object the lock is.
    link: https://kubernetes.io/docs/concepts/architecture/leases/
"""

EXAMPLES = r"""
- name: Take the deploy lock of the production namespace
  botcore.platform.deploy_lock:
    namespace: bot-core-production
    job: "{{ awx_job_id | default(ansible_play_name) }}"
  register: platform_deploy_lock

- name: Renew it at the start of a later play
  botcore.platform.deploy_lock:
    namespace: bot-core-production
    state: renewed
    holder: "{{ platform_deploy_lock.holder }}"

- name: Release it at the end of the run
  botcore.platform.deploy_lock:
    namespace: bot-core-production
    state: released
    holder: "{{ platform_deploy_lock.holder }}"

- name: Break a stale lock left by a run that is known to be dead
  botcore.platform.deploy_lock:
    namespace: bot-core-production
    state: released
    break: true
"""

RETURN = r"""
operation:
  description:
    - What the module did, or would do in check mode.
    - V(create) (no lock existed), V(take_over) (the lock had expired or had no holder), V(renew), V(release),
      V(break), V(nothing) (no lock to release) or V(wait) (check mode, another holder has the lock).
  returned: always
  type: str
  sample: create
lease:
  description: The Lease that is the lock.
  returned: always
  type: dict
  sample: {"name": "botcore-platform-deploy-bot-core-production", "namespace": "default"}
holder:
  description: The holder this run acts as; pass it to V(renewed) and V(released).
  returned: always
  type: str
  sample: awx@runner-7f9c:4711
job:
  description: The job recorded with the lock after the write.
  returned: when the module took or renewed the lock
  type: str
  sample: site.yml
acquired:
  description: When the lock was taken (C(spec.acquireTime)).
  returned: when the module took or renewed the lock
  type: str
  sample: "2026-12-01T12:00:00.000000Z"
renewed:
  description: When the lock was last renewed (C(spec.renewTime)).
  returned: when the module took or renewed the lock
  type: str
  sample: "2026-12-01T12:10:00.000000Z"
expires:
  description: When the lock expires unless renewed.
  returned: when the module took or renewed the lock
  type: str
  sample: "2026-12-01T12:25:00.000000Z"
previous:
  description:
    - The lock as the module found it (holder, job, acquired, renewed, expires, expired); all null when there was
      none. On failure the same keys describe the holder that has the lock.
  returned: always
  type: dict
  sample: {"holder": "ops@laptop:812", "job": "site.yml", "acquired": "2026-12-01T11:00:00.000000Z",
           "renewed": "2026-12-01T11:05:00.000000Z", "expires": "2026-12-01T11:20:00.000000Z", "expired": true}
waited:
  description: Seconds spent waiting for another holder's lock.
  returned: always
  type: int
  sample: 35
"""

import copy
import getpass
import os
import socket

from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.deploy_lock import (
    LEASE_ARG_SPEC,
    Api,
    LockError,
    lease_name,
    run,
)
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

LOCK_ARG_SPEC = {
    "namespace": {"type": "str", "required": True},
    "state": {"type": "str", "default": "acquired", "choices": ["acquired", "renewed", "released"]},
    "holder": {"type": "str"},
    "job": {"type": "str"},
    "wait_timeout": {"type": "int", "default": 600},
    "wait_sleep": {"type": "int", "default": 5},
    "break": {"type": "bool", "default": False},
    **LEASE_ARG_SPEC,
}


def argspec():
    args = copy.deepcopy(LOCK_ARG_SPEC)
    args.update(AUTH_ARG_SPEC)
    args.update(CLUSTER_ARG_SPEC)
    return args


def main():
    module = AnsibleK8SModule(argument_spec=argspec(), supports_check_mode=True)
    params = dict(module.params)
    if params["holder"] is None:
        if params["state"] == "renewed" or (params["state"] == "released" and not params["break"]):
            module.fail_json(
                msg=f"holder is required with state={params['state']}: pass the holder state=acquired returned"
            )
        params["holder"] = f"{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"
    if params["break"] and params["state"] != "released":
        module.fail_json(msg="break is only used with state=released")
    for option in ("lease_duration", "wait_sleep"):
        if params[option] < 1:
            module.fail_json(msg=f"{option} must be at least 1, got {params[option]}")
    if params["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout must be 0 or more, got {params['wait_timeout']}")
    params["lock_name"] = params["lock_name"] or lease_name(params["namespace"])
    try:
        result = run(Api(get_api_client(module=module)), params, module.check_mode)
    except LockError as exc:
        module.fail_json(msg=str(exc), previous=exc.result)
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        fail_if_unreachable(module, exc, "the deploy lock", CoreException)
        raise
    module.exit_json(**result)


if __name__ == "__main__":
    main()
