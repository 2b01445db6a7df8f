#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Check, reading the cluster only, that it can take the objects a run renders
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Runs after input validation and before any write, on every object the run renders (O(components)), and reads
    the cluster only. It writes nothing, in check mode or not (its dry runs store nothing).
  - C(version) the API server's version is at least O(minimum_version).
  - C(apis) every rendered apiVersion and kind is served now, or will be by an add-on that runs earlier in the
    same run (O(pending_apis)); a missing CRD is named.
  - C(storage) the StorageClass each PersistentVolumeClaim and volumeClaimTemplate names exists; a claim that names
    none needs a default class.
  - C(quota) in each namespace, the LimitRanges (those rendered in this run, else the live ones) admit every
    container and pod (min, max, maxLimitRequestRatio, with their defaults filled in), and the ResourceQuotas'
    hard limits (requests.cpu, requests.memory, limits.cpu, limits.memory, pods, persistentvolumeclaims,
    requests.storage) hold the sum at minimum replicas and at the maximum. Minimum counts Deployments and
    StatefulSets at the HPA's minimum, else C(spec.replicas); the maximum counts them at the HPA's maximum plus
    one pod of each Job and CronJob. Other tenants of the namespace are not counted.
  - C(nodes) the schedulable nodes (not cordoned, Ready, taints against tolerations, nodeSelector and required node
    affinity; allocatable minus what the pods already on them request, the platform's own pods left out) hold the
    platform's pods at minimum replicas, placed first-fit decreasing by CPU request, with a workload whose required
    pod anti-affinity on C(kubernetes.io/hostname) selects itself kept to one pod per node. At the maximum, pods that
    fit nowhere are a warning (the HPA can scale only that far), and the headroom is reported.
  - C(access) the identity of the connection may do every verb on every resource the run needs, one
    SelfSubjectAccessReview per verb, resource and namespace (get, create and patch of every rendered object; the
    lists the rollout wait, the secrets role and the preflight make; the deletions of O(deletes)).
  - C(dry-run) the API server accepts every rendered object whose API is served and whose namespace exists, as a
    server-side apply of each with C(dryRun=All) as O(field_manager), so that what the server would refuse
    (an invalid field, an immutable one changed, a policy) is refused before the run writes anything. The objects
    whose namespace or API this run creates are counted and left to the apply's own dry run.
  - A blocking finding names the setting (the role variable, e.g. C(core_engine_resources), C(namespace_quota)) or
    the cluster fact, with the numbers. With O(mode=strict) any blocking finding fails the module; with
    O(mode=warn) every finding is a warning.
  - Not modelled, so not counted, are sidecars that admission webhooks inject (Istio's) and topology spread
    constraints.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: Reads and reports the same in check mode; it never writes.
    support: full
  diff_mode:
    description: Returns no diff; it changes nothing.
    support: none
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  components:
    description:
      - The rendered objects of the run, by component (the role that renders them), a dict of lists of objects; a
        component that is null is left out (not rendered in this run).
      - Pass Secrets redacted (C(botcore.platform.redact_secrets)); only their kind, name and namespace are read.
    type: dict
    required: true
  pending_apis:
    description:
      - The APIs the add-ons earlier in the run will install, as C(<apiVersion>/<kind>) (e.g.
        C(networking.istio.io/v1/VirtualService)).
    type: list
    elements: str
    default: []
  minimum_version:
    description:
      - The oldest Kubernetes version, C(major.minor), the platform runs on.
    type: str
    default: "1.27"
  deletes:
    description:
      - Kinds the run may delete beside its objects, for the access check.
    type: list
    elements: dict
    default: []
    suboptions:
      api_version:
        description: The kind's apiVersion.
        type: str
        required: true
      kind:
        description: The kind.
        type: str
        required: true
      namespace:
        description: The namespace of the deletion; empty for a cluster-scoped kind.
        type: str
        default: ""
      why:
        description: Which component deletes, and why, for the message.
        type: str
        default: a deletion of the run
  field_manager:
    description:
      - The field manager the run applies with; the dry run applies as it, so that it answers as the apply will.
    type: str
    default: botcore-platform
  mode:
    description:
      - V(strict) fails on any blocking finding; V(warn) reports every finding as a warning and never fails.
    type: str
    choices: [strict, warn]
    default: strict
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - name: SelfSubjectAccessReview
    description: How the access check asks the API server.
    link: https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
"""

EXAMPLES = r"""
- name: Check the cluster before anything is written
  botcore.platform.preflight:
    components:
      namespace: "{{ __namespace_objects }}"
      core_engine: "{{ __core_engine_objects }}"
    pending_apis:
      - networking.istio.io/v1/VirtualService
    mode: strict
  register: preflight

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ preflight.table }}"
"""

RETURN = r"""
table:
  description: The result as aligned lines, a header first, one line per check (check, result, numbers).
  returned: always
  type: list
  elements: str
  sample:
    - "CHECK    RESULT  NUMBERS"
    - "version  ok      v1.37.2 >= 1.27"
rows:
  description: The rows of the table.
  returned: always
  type: list
  elements: dict
  sample: [{"check": "version", "result": "ok", "detail": "v1.37.2 >= 1.27"}]
findings:
  description: Every finding, C(blocking) or a warning, with its check and message.
  returned: always
  type: list
  elements: dict
  sample: [{"check": "nodes", "blocking": true, "message": "the cluster cannot hold the platform at minimum ..."}]
blocking:
  description: The messages of the blocking findings.
  returned: always
  type: list
  elements: str
  sample: ["ResourceQuota bot-core-quota (namespace_quota) in bot-core-production allows requests.cpu 10, ..."]
"""

from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.preflight import (
    CHECK_ARG_SPEC,
    Cluster,
    PreflightError,
    report,
)
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException


def argspec():
    return {
        **CHECK_ARG_SPEC,
        "field_manager": {"type": "str", "default": "botcore-platform"},
        **AUTH_ARG_SPEC,
        **CLUSTER_ARG_SPEC,
    }


def main():
    module = AnsibleK8SModule(argument_spec=argspec(), supports_check_mode=True)
    try:
        result, refusal, warnings = report(
            Cluster(get_api_client(module=module)), module.params, module.params["field_manager"]
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    except PreflightError as exc:
        module.fail_json(msg=f"preflight: {exc}")
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        fail_if_unreachable(module, exc, "the preflight", CoreException)
        raise
    if refusal:
        module.fail_json(msg=refusal, **result)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
