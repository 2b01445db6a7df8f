#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: apply
short_description: Apply the platform's objects server-side in phases, wait for the rollouts and prune what is gone
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Applies the ordered objects of one or more components with server-side apply (C(application/apply-patch+yaml))
    under one field manager, through one API client and one discovery for the whole run, the objects of a phase
    concurrently.
  - "Phases, per component in its order: cluster-scoped objects (namespaces, CRD-like cluster objects), then the
    namespaced objects up to the last workload, then the workloads (Deployments, StatefulSets), then a rollout wait
    of every workload of the run at once, then what follows the last workload of a component (a Job that needs its
    StatefulSet Ready)."
  - Before the first write the API server dry-runs every object whose namespace exists, so that what it would refuse
    is refused before anything changes, naming the component, the object and the field; only what the dry run shows
    changing is written.
  - An apply that conflicts with another field manager is retried with force; each field taken over is returned in
    RV(conflicts) and warned about, naming the field and the manager.
  - A workload that does not become Ready fails the run with the component, the object, its revision and the reason
    (see M(botcore.platform.rollout)); with O(rollback_on_failure) it is first rolled back to its last good revision,
    or, without one, to its previous revision when this run changed it. Each completed rollout is recorded as the last
    good revision.
  - With O(prune), each component is an ApplySet in the open kubectl format (KEP-3659), its parent a Secret
    C(botcore-applyset-<component>) in O(components[].namespace); once everything is applied and Ready, the members
    of the set that are no longer rendered are deleted, except the kinds of O(prune_protected_kinds). Objects without
    the set's C(applyset.kubernetes.io/part-of) label are never touched.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: A server-side dry run (C(dryRun=All)) of every apply and deletion; objects in a namespace that does
      not exist yet would be created.
    support: full
  diff_mode:
    description: One diff per object that would change, be created or be deleted, showing only the fields the field
      manager sets, Secret values masked.
    support: full
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  components:
    description:
      - The components of the run, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The component's name; it names the ApplySet parent and every message.
        type: str
        required: true
      namespace:
        description:
          - Namespace of the component's ApplySet parent.
        type: str
        required: true
      objects:
        description:
          - The component's Kubernetes objects, in order. An empty list prunes every member of its set.
        type: list
        elements: dict
        default: []
      superseded:
        description:
          - Objects the component replaces by others of other names, as MongoDB's replica-set Job of each input
            replaces the Jobs of earlier inputs. Those a selector finds that the component does not render are
            deleted, their dependents first (foreground), and waited for (up to O(wait_timeout)), before the run
            writes anything, so that the old and the new never run at once. Whatever O(prune) says.
          - They are listed in RV(pruned).
        type: list
        elements: dict
        default: []
        suboptions:
          api_version:
            description: Their API version.
            type: str
            required: true
          kind:
            description: Their kind.
            type: str
            required: true
          namespace:
            description: Their namespace.
            type: str
            required: true
          label_selector:
            description: The label selector that finds them.
            type: str
            required: true
  field_manager:
    description:
      - The field manager of every apply.
    type: str
    default: botcore-platform
  wait:
    description:
      - Wait for the rollout of every Deployment and StatefulSet of the run.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each rollout.
    type: int
    default: 600
  wait_sleep:
    description:
      - Seconds between two looks at a rollout.
    type: int
    default: 2
  progress_interval:
    description:
      - Seconds of a wait after which its progress is shown, and again every as many seconds until it ends, one line
        per workload still rolling out (ready of desired replicas, where the rollout stands, the newest pod that is
        not ready, the seconds waited of O(wait_timeout)); a rollout that completes sooner shows nothing.
      - The action plugin of the same name does it by running the module in slices of this many seconds of wait, each
        resuming where the last stopped (see RV(pending)); O(wait_timeout) still counts from the start of the wait.
      - A slice that sees a rollout fail ends there, its rollback is the next slice's; the action plugin starts no slice
        once its C(ansible-playbook) is gone (killed, as Ansible's workers outlive it), so a killed run rolls nothing
        back behind the back of its rerun.
      - V(0) waits in one module run and shows nothing.
    type: int
    default: 30
  resume:
    description:
      - Set by the action plugin between two slices of a wait (the RV(resume) of the last slice); not for playbooks.
    type: dict
  preflight:
    description:
      - The checks of M(botcore.platform.preflight), run first through this run's client and discovery, reading the
        cluster only; its options C(components), C(pending_apis), C(minimum_version), C(deletes) and C(mode), checked
        as that module checks them (its C(field_manager) is O(field_manager)). site.yml passes them here when nothing
        else writes before this run, which saves a module run; RV(preflight) is the result.
      - In V(strict) mode a blocking finding fails the run before anything is written, with that module's message.
      - Not run again by the later slices of a wait (O(resume)).
    type: dict
  secret_data:
    description:
      - The values (C(data), C(stringData)) of the Secrets of O(components), by
        C(<index of the component>/<index of the object>). Set by the action plugin, which moves them out of
        O(components); not for playbooks.
      - A C(no_log) option, so that Ansible masks the values in the module's log and result, without a C(no_log)
        task that would hide the output of the other objects of the run. Ansible masks them wherever they appear;
        C(data) is base64, which nothing else prints, but a value in C(stringData) is masked in every place it appears.
    type: dict
    default: {}
  rollback_on_failure:
    description:
      - Roll a workload that does not become Ready back before failing (see the description).
    type: bool
    default: true
  prune:
    description:
      - Record each component's objects as an ApplySet and delete the members that are no longer rendered.
    type: bool
    default: true
  prune_protected_kinds:
    description:
      - Kinds that are never pruned, even when no longer rendered.
    type: list
    elements: str
    default: [Namespace, PersistentVolumeClaim]
  tooling:
    description:
      - The value of the parents' C(applyset.kubernetes.io/tooling) annotation, C(<name>/<version>).
    type: str
    default: botcore.platform/unknown
  lock:
    description:
      - The deploy lock this run holds (M(botcore.platform.deploy_lock)), renewed before anything is applied, and again
        by each module run of a sliced wait, so that it outlasts the rollouts. The run fails, writing nothing, when
        another run holds the lock or nobody does.
      - Not renewed in check mode, which takes no lock.
    type: dict
    suboptions:
      holder:
        description: The holder that M(botcore.platform.deploy_lock) returned when it took the lock.
        type: str
        required: true
      namespace:
        description: The platform namespace the lock is for.
        type: str
        required: true
      lease_duration:
        description: Seconds the renewed lock lasts.
        type: int
        default: 900
      lock_namespace:
        description: The namespace of the Lease.
        type: str
        default: default
      lock_name:
        description: The name of the Lease; by default the one M(botcore.platform.deploy_lock) gives the namespace.
        type: str
      release:
        description:
          - Release the lock once the run has applied everything and its rollouts are over, instead of a
            M(botcore.platform.deploy_lock) task of its own (the last apply run of C(site.yml)).
          - A run that fails keeps the lock, for the task that releases it whatever failed.
        type: bool
        default: false
requirements:
  - python >= 3.10
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - module: botcore.platform.rollout
  - name: KEP-3659 ApplySet
    description: The ApplySet labels and annotations kubectl reads.
    link: https://github.com/kubernetes/enhancements/tree/master/keps/sig-cli/3659-kubectl-apply-prune
"""

EXAMPLES = r"""
- name: Apply the core engine, wait for its rollout and prune what it no longer renders
  botcore.platform.apply:
    components:
      - name: core_engine
        namespace: bot-core-production
        objects: "{{ __core_engine_objects }}"
    wait_timeout: 600

- name: Preview what would change, be created or deleted
  botcore.platform.apply:
    components:
      - name: core_engine
        namespace: bot-core-production
        objects: "{{ __core_engine_objects }}"
  check_mode: true
  diff: true
"""

RETURN = r"""
objects:
  description: What the run did (or in check mode would do) to each object.
  returned: always
  type: list
  elements: dict
  sample:
    - {component: core_engine, kind: Deployment, name: rust-core-engine, namespace: bot-core-production,
       action: updated}
  contains:
    component:
      description: The component.
      type: str
    kind:
      description: Kind of the object.
      type: str
    name:
      description: Name of the object.
      type: str
    namespace:
      description: Namespace of the object, null for a cluster-scoped one.
      type: str
    action:
      description: V(created), V(updated) or V(unchanged).
      type: str
conflicts:
  description: The fields another field manager owned that the apply took over.
  returned: always
  type: list
  elements: dict
  sample:
    - {component: core_engine, kind: ConfigMap, name: rust-config, namespace: bot-core-production,
       field: .metadata.labels.tier, manager: kubectl-label}
  contains:
    component: &object_component
      description: The component.
      type: str
    kind: &object_kind
      description: Kind of the object.
      type: str
    name: &object_name
      description: Name of the object.
      type: str
    namespace: &object_namespace
      description: Namespace of the object.
      type: str
    field:
      description: The field, as the API server names it.
      type: str
    manager:
      description: The field manager that owned it.
      type: str
pruned:
  description:
    - The members deleted (in check mode, that would be) because no longer rendered, and the objects deleted because
      superseded (O(components[].superseded)).
  returned: always
  type: list
  elements: dict
  sample:
    - {component: core_engine, kind: HorizontalPodAutoscaler, name: rust-core-engine, namespace: bot-core-production}
  contains:
    component: *object_component
    kind: *object_kind
    name: *object_name
    namespace: *object_namespace
lock_released:
  description: Whether the run released the lock (O(lock.release)).
  returned: when it did
  type: bool
  sample: true
rollouts:
  description: The rollout of each workload waited for, as M(botcore.platform.rollout) reports it.
  returned: always
  type: list
  elements: dict
  sample:
    - {kind: Deployment, name: rust-core-engine, namespace: bot-core-production, revision: 4, complete: true}
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
    component:
      description: The component of the workload.
      type: str
    rollback:
      description: Present and true when the wait is that of the workload's rollback after its rollout failed.
      type: bool
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
preflight:
  description:
    - With O(preflight), the result of the checks, as M(botcore.platform.preflight) returns it (C(table), C(rows),
      C(findings), C(blocking)).
  returned: when O(preflight) is given
  type: dict
  sample: {"table": ["CHECK    RESULT  NUMBERS", "version  ok      v1.37.2 >= 1.27"], "blocking": []}
resume:
  description:
    - Only between two slices of a wait - what the next module run needs to wait on where this one stopped
      (O(resume)).
  returned: when a wait slice ended before the rollout completed
  type: dict
"""

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.botcore.platform.plugins.module_utils.apply import ApplyError, Engine
from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.deploy_lock import (
    LEASE_ARG_SPEC,
    Api,
    LockError,
    release,
    renew,
)
from ansible_collections.botcore.platform.plugins.module_utils.preflight import (
    CHECK_ARG_SPEC,
    Cluster,
    PreflightError,
    report,
)
from ansible_collections.botcore.platform.plugins.module_utils.secret_data import join
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

APPLY_ARG_SPEC = {
    "components": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "name": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "objects": {"type": "list", "elements": "dict", "default": []},
            "superseded": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "api_version": {"type": "str", "required": True},
                    "kind": {"type": "str", "required": True},
                    "namespace": {"type": "str", "required": True},
                    "label_selector": {"type": "str", "required": True},
                },
            },
        },
    },
    "field_manager": {"type": "str", "default": "botcore-platform"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
    "wait_sleep": {"type": "int", "default": 2},
    "rollback_on_failure": {"type": "bool", "default": True},
    "progress_interval": {"type": "int", "default": 30},
    "resume": {"type": "dict"},
    "secret_data": {"type": "dict", "default": {}, "no_log": True},
    "preflight": {"type": "dict"},
    "prune": {"type": "bool", "default": True},
    "prune_protected_kinds": {"type": "list", "elements": "str", "default": ["Namespace", "PersistentVolumeClaim"]},
    "tooling": {"type": "str", "default": "botcore.platform/unknown"},
    "lock": {
        "type": "dict",
        "options": {
            "holder": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "release": {"type": "bool", "default": False},
            **LEASE_ARG_SPEC,
        },
    },
}


def argspec():
    return {**APPLY_ARG_SPEC, **AUTH_ARG_SPEC, **CLUSTER_ARG_SPEC}


def checked_preflight(module):
    """Option preflight, checked as botcore.platform.preflight checks its own options."""
    checked = ArgumentSpecValidator(CHECK_ARG_SPEC).validate(module.params["preflight"])
    if checked.error_messages:
        module.fail_json(msg="preflight: " + "; ".join(checked.error_messages))
    return checked.validated_parameters


def run_preflight(module, client, checks):
    """The preflight's result; fails the module as botcore.platform.preflight fails."""
    try:
        result, refusal, warnings = report(Cluster(client), checks, module.params["field_manager"])
    except ValueError as exc:
        module.fail_json(msg=f"preflight.{exc}")
    except PreflightError as exc:
        module.fail_json(msg=f"preflight: {exc}")
    if refusal:
        module.fail_json(msg=refusal, preflight=result)
    for warning in warnings:
        module.warn(warning)
    return result


def main():
    module = AnsibleK8SModule(argument_spec=argspec(), supports_check_mode=True)
    try:
        components = join(module.params["components"], module.params["secret_data"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    # The later slices of a wait carry the first one's result, its preflight's too.
    checks = checked_preflight(module) if module.params["preflight"] and not module.params["resume"] else None
    try:
        client = get_api_client(module=module)
        engine = Engine(client, module.params, module.check_mode, module._diff, module.warn)
        if checks:
            engine.result["preflight"] = run_preflight(module, client, checks)
        lock = module.params["lock"] if not module.check_mode else None
        if lock:
            renew(Api(client), lock)
        result = engine.run(components)
    except ApplyError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except LockError as exc:
        module.fail_json(msg=f"the deploy lock could not be renewed, nothing applied: {exc}", previous=exc.result)
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        names = ", ".join(component["name"] for component in module.params["components"])
        fail_if_unreachable(module, exc, names, CoreException)
        raise
    # Once the run's last wait is over: a slice that returns "resume" has more to do.
    if lock and lock["release"] and "resume" not in result:
        try:
            release(Api(client), lock)
        except LockError as exc:
            module.fail_json(msg=f"applied, but the deploy lock could not be released: {exc}", previous=exc.result)
        result["lock_released"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
