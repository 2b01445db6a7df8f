#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout
short_description: Report, wait for, restart and roll back the rollout of a Deployment or StatefulSet
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Reports the rollout of a Deployment or StatefulSet (revision, replica counts, images, completion and history),
    optionally waiting until it completes, like C(kubectl rollout status) and C(kubectl rollout history).
  - Restarts its pods with a rolling update, like C(kubectl rollout restart).
  - Rolls it back to the previous or a named revision, like C(kubectl rollout undo). Deployment revisions are
    their ReplicaSets, StatefulSet revisions their ControllerRevisions.
  - Unlike M(kubernetes.core.k8s_rollback), it handles StatefulSets and named revisions, and keeps the object's
    annotations; only C(spec.template) and the C(kubernetes.io/change-cause) annotation change.
  - When a wait fails, the message names the object, its revision, how many replicas of the new revision are
    ready, why the rollout is stuck and the state of the newest pod that is not ready.
  - Pods that the API server refuses to create (a LimitRange maximum, a ResourceQuota, Pod Security) fail the wait
    at once with the refusal's reason, read from the C(ReplicaFailure) condition of a Deployment or the
    C(FailedCreate) event of a StatefulSet. Only a quota refusal while replicas of an older revision remain is
    waited out, since their removal can make room.
  - With O(record_last_good), a completed rollout is recorded on the workload as its last good revision
    (annotation C(botcore.io/last-good-revision)), which O(to_last_good) rolls back to, whichever run made it.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: Can run in check mode and predict whether a restart or rollback would change the object.
    support: full
  diff_mode:
    description: Returns the pod template and change-cause annotation before and after a restart or rollback.
    support: full
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  kind:
    description:
      - Kind of the workload.
    type: str
    required: true
    choices: [Deployment, StatefulSet]
  name:
    description:
      - Name of the workload.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the workload.
    type: str
    required: true
  state:
    description:
      - V(status) only reads the rollout, and never changes anything.
      - V(restarted) sets the pod template annotation C(kubectl.kubernetes.io/restartedAt) to the current time,
        which replaces every pod through the workload's update strategy. It always reports a change.
      - V(undone) puts back the pod template of O(to_revision) and its change-cause. The controller records it
        under a new, higher revision number. When the workload already runs that template nothing changes.
        For a StatefulSet, the pods of other revisions that are not Ready are also deleted, even when the template
        is back already, because a StatefulSet waits for them to become Ready before it replaces them (see
        RV(deleted_pods)).
    type: str
    choices: [status, restarted, undone]
    default: status
  to_revision:
    description:
      - The revision to roll back to with O(state=undone). The module fails, listing the revisions that exist,
        when it does not exist.
      - By default the highest revision below the current one.
      - Mutually exclusive with O(to_last_good).
    type: int
  to_last_good:
    description:
      - With O(state=undone), roll back to the revision recorded as the last good one by O(record_last_good),
        found by the name of its ReplicaSet or ControllerRevision (a rollback renumbers it, the name stays).
      - The module fails when none is recorded, or when the controller no longer keeps it.
    type: bool
    default: false
  record_last_good:
    description:
      - With O(wait), once the rollout has completed, record its revision, the name of the ReplicaSet or
        ControllerRevision holding it and its images in the annotation C(botcore.io/last-good-revision) of the
        workload (a merge patch of that annotation only, which changes neither the pod template nor the generation).
      - Reports a change when the annotation changes; in check mode, when it would.
    type: bool
    default: false
  wait:
    description:
      - Wait until the rollout completes, after the restart or rollback if there is one.
      - A Deployment has completed when every replica runs the current template and is available and no old
        replica remains; its C(ProgressDeadlineExceeded) condition fails the wait at once, and so does its
        C(ReplicaFailure) condition (see the description).
      - A StatefulSet has completed when every replica is ready and runs the current revision; with a
        C(partition), only the replicas at or above it need to. With C(OnDelete) that happens only as the pods
        are deleted.
      - In check mode a restart or rollback is not waited for, since it was not made.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to wait for the rollout to complete.
    type: int
    default: 120
  wait_sleep:
    description:
      - How many seconds to wait between checks.
    type: int
    default: 5
  progress_interval:
    description:
      - Seconds of a wait after which its progress is shown, and again every as many seconds until it ends, one line
        per workload still rolling out (ready of desired replicas, where the rollout stands, the newest pod that is
        not ready, the seconds waited of O(wait_timeout)); a rollout that completes sooner shows nothing.
      - The action plugin of the same name does it by running the module in slices of this many seconds of wait, each
        resuming where the last stopped (see RV(pending)); O(wait_timeout) still counts from the start of the wait.
      - V(0) waits in one module run and shows nothing.
    type: int
    default: 30
  resume:
    description:
      - Set by the action plugin between two slices of a wait (the RV(resume) of the last slice); not for playbooks.
    type: dict
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - module: kubernetes.core.k8s_rollback
  - name: kubectl rollout
    description: The kubectl commands this module follows.
    link: https://kubernetes.io/docs/reference/kubectl/generated/kubectl_rollout/
"""

EXAMPLES = r"""
- name: Wait for the core engine release to become ready
  botcore.platform.rollout:
    kind: Deployment
    name: rust-core-engine
    namespace: bot-core-production
    wait: true
    wait_timeout: 300

- name: Restart the AI service after its ConfigMap changed
  botcore.platform.rollout:
    kind: Deployment
    name: python-ai-service
    namespace: bot-core-production
    state: restarted
    wait: true

- name: Roll the dashboard back to its previous revision
  botcore.platform.rollout:
    kind: Deployment
    name: nextjs-ui-dashboard
    namespace: bot-core-production
    state: undone
    wait: true
  register: dashboard_rollback

- name: Show what the rollback replaced
  ansible.builtin.debug:
    msg: >-
      Rolled back from revision {{ dashboard_rollback.from.revision }}
      ({{ dashboard_rollback.from.images.values() | join(', ') }})
      to revision {{ dashboard_rollback.to.revision }}
      ({{ dashboard_rollback.to.images.values() | join(', ') }})

- name: Wait for the core engine and record its revision as the last good one
  botcore.platform.rollout:
    kind: Deployment
    name: rust-core-engine
    namespace: bot-core-production
    wait: true
    record_last_good: true

- name: Roll the core engine back to its last good revision, whichever run released the one that failed
  botcore.platform.rollout:
    kind: Deployment
    name: rust-core-engine
    namespace: bot-core-production
    state: undone
    to_last_good: true
    wait: true

- name: Preview rolling MongoDB back to revision 3
  botcore.platform.rollout:
    kind: StatefulSet
    name: mongodb
    namespace: bot-core-production
    state: undone
    to_revision: 3
  check_mode: true
  diff: true

- name: Read every workload's rollout with a shared kubeconfig
  module_defaults:
    group/botcore.platform.platform:
      kubeconfig: "{{ platform_kubeconfig }}"
  botcore.platform.rollout:
    kind: "{{ item.kind }}"
    name: "{{ item.name }}"
    namespace: bot-core-production
  loop:
    - {kind: Deployment, name: rust-core-engine}
    - {kind: StatefulSet, name: mongodb}
"""

RETURN = r"""
rollout:
  description:
    - The rollout as it is when the module returns (after the restart or rollback and the wait, if any).
    - In check mode, the rollout before the change that would be made.
  returned: success, and with the failure of a wait
  type: complex
  contains:
    kind:
      description: Kind of the workload.
      type: str
      returned: always
      sample: Deployment
    name:
      description: Name of the workload.
      type: str
      returned: always
      sample: rust-core-engine
    namespace:
      description: Namespace of the workload.
      type: str
      returned: always
      sample: bot-core-production
    revision:
      description:
        - Revision of the current pod template, null if the controller has not recorded it yet.
      type: int
      returned: always
      sample: 4
    replicas:
      description: Replica counts from the workload's spec and status.
      type: dict
      returned: always
      sample: {desired: 3, current: 4, updated: 1, ready: 3, available: 3}
      contains:
        desired:
          description: C(spec.replicas).
          type: int
        current:
          description: Replicas that exist, old and new.
          type: int
        updated:
          description: Replicas that run the current template.
          type: int
        ready:
          description: Ready replicas, old and new.
          type: int
        available:
          description: Available replicas, old and new.
          type: int
    images:
      description: Image of each container and init container of the current template, by container name.
      type: dict
      returned: always
      sample: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.4.2"}
    change_cause:
      description: The workload's C(kubernetes.io/change-cause) annotation.
      type: str
      returned: always
      sample: release 1.4.2
    complete:
      description: Whether the rollout of the current template has completed (see O(wait)).
      type: bool
      returned: always
      sample: false
    message:
      description: Where the rollout stands, in the words of C(kubectl rollout status).
      type: str
      returned: always
      sample: 1 of 3 replicas updated
    last_good:
      description:
        - The last good revision recorded on the workload (see O(record_last_good)), null when none is.
      type: dict
      returned: always
      sample:
        revision: 3
        recorded_revision: 3
        images: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.4.2"}
        restorable: true
      contains:
        revision:
          description: Its number now (a rollback renumbers it), null when the controller no longer keeps it.
          type: int
        recorded_revision:
          description: Its number when it was recorded.
          type: int
        images:
          description: Image of each container when it was recorded, by container name.
          type: dict
        restorable:
          description: Whether O(to_last_good) can go back to it (it is kept and differs from the current template).
          type: bool
    history:
      description: The revisions the controller keeps, oldest first.
      type: list
      elements: dict
      returned: always
      sample:
        - revision: 3
          images: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.4.1"}
          change_cause: release 1.4.1
        - revision: 4
          images: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.4.2"}
          change_cause: release 1.4.2
      contains:
        revision:
          description: Revision number.
          type: int
        images:
          description: Image of each container of the revision's template, by container name.
          type: dict
        change_cause:
          description: The revision's C(kubernetes.io/change-cause) annotation.
          type: str
from:
  description: The revision a rollback started from (O(state=undone)).
  returned: O(state=undone)
  type: complex
  sample:
    revision: 4
    images: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.5.0-broken"}
    change_cause: release 1.5.0
  contains: &revision_fields
    revision:
      description: Revision number.
      type: int
      returned: always
    images:
      description: Image of each container, by container name.
      type: dict
      returned: always
    change_cause:
      description: The C(kubernetes.io/change-cause) annotation.
      type: str
      returned: always
to:
  description:
    - The revision a rollback restores (O(state=undone)), with the number it had before the rollback; the controller
      records the restored template under a new number (RV(rollout.revision)).
  returned: O(state=undone)
  type: complex
  sample:
    revision: 3
    images: {rust-core-engine: "ghcr.io/botcore/rust-core-engine:1.4.2"}
    change_cause: release 1.4.2
  contains: *revision_fields
deleted_pods:
  description:
    - The StatefulSet pods of other revisions that were not Ready, which a rollback deletes (or in check mode
      would delete) so that the StatefulSet replaces them; it would otherwise wait for them to become Ready
      forever (the "forced rollback" of the StatefulSet documentation). Always empty for a Deployment.
  returned: O(state=undone)
  type: list
  elements: str
  sample: [mongodb-2]
restarted_at:
  description: The value given to the C(kubectl.kubernetes.io/restartedAt) pod template annotation.
  returned: O(state=restarted)
  type: str
  sample: "2026-03-02T07:45:12Z"
duration:
  description: Seconds spent waiting for the rollout to complete.
  returned: when O(wait=true) and the wait ran
  type: int
  sample: 48
pending:
  description:
    - Only between two slices of a wait (see O(progress_interval)), never in the task's result - each workload still
      rolling out when the slice ended, as the action plugin prints it.
  returned: when a wait slice ended before the rollout completed
  type: list
  elements: dict
  sample:
    - {kind: Deployment, name: rust-core-engine, namespace: bot-core-production, revision: 4, ready: 1, desired: 3,
       message: 2 of 3 replicas updated, newest_pod: "rust-core-engine-7d9f-x2x waiting: ContainerCreating",
       waited: 30, timeout: 600}
  contains:
    kind:
      description: Kind of the workload.
      type: str
    name:
      description: Name of the workload.
      type: str
    namespace:
      description: Namespace of the workload.
      type: str
    revision:
      description: Revision of its current pod template, null if the controller has not recorded it yet.
      type: int
    ready:
      description: Ready pods of that revision.
      type: int
    desired:
      description: Desired replicas.
      type: int
    message:
      description: Where the rollout stands, in the words of C(kubectl rollout status).
      type: str
    newest_pod:
      description: The newest pod of the revision that is not Ready and why, null when there is none.
      type: str
    waited:
      description: Seconds waited so far, of O(wait_timeout).
      type: int
    timeout:
      description: O(wait_timeout).
      type: int
resume:
  description:
    - Only between two slices of a wait - what the next module run needs to wait on where this one stopped
      (O(resume)).
  returned: when a wait slice ended before the rollout completed
  type: dict
"""

import copy

from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.rollout import Api, RolloutError, run, slice_end
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

ROLLOUT_ARG_SPEC = {
    "kind": {"type": "str", "required": True, "choices": ["Deployment", "StatefulSet"]},
    "name": {"type": "str", "required": True},
    "namespace": {"type": "str", "required": True},
    "state": {"type": "str", "default": "status", "choices": ["status", "restarted", "undone"]},
    "to_revision": {"type": "int"},
    "to_last_good": {"type": "bool", "default": False},
    "record_last_good": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 120},
    "wait_sleep": {"type": "int", "default": 5},
    "progress_interval": {"type": "int", "default": 30},
    "resume": {"type": "dict"},
}


def argspec():
    args = copy.deepcopy(ROLLOUT_ARG_SPEC)
    args.update(AUTH_ARG_SPEC)
    args.update(CLUSTER_ARG_SPEC)
    return args


def main():
    module = AnsibleK8SModule(
        argument_spec=argspec(), mutually_exclusive=[("to_revision", "to_last_good")], supports_check_mode=True
    )
    for option in ("to_revision", "to_last_good"):
        if module.params[option] not in (None, False) and module.params["state"] != "undone":
            module.fail_json(msg=f"{option} is only used with state=undone")
    if module.params["record_last_good"] and not module.params["wait"]:
        module.fail_json(msg="record_last_good needs wait=true: only a rollout seen to complete is recorded")
    try:
        until = slice_end(module.params)
        result = run(Api(get_api_client(module=module)), module.params, module.check_mode, module._diff, until=until)
    except RolloutError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        params = module.params
        fail_if_unreachable(module, exc, f"{params['kind']} {params['namespace']}/{params['name']}", CoreException)
        raise
    module.exit_json(**result)


if __name__ == "__main__":
    main()
