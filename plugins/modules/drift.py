#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: drift
short_description: Report the fields of applied objects that another field manager has taken over
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Reads the live object of each desired object and compares, field by field, what the desired object sets with
    the owners that server-side apply records in the live object's C(metadata.managedFields).
  - A field drifted when another field manager owns it now (a C(kubectl scale), C(kubectl label), C(kubectl edit),
    an operator), whether or not O(field_manager) still co-owns it, or when nobody owns it any more (removed by
    another writer). Each drifted field comes with the other managers' names, the live and the desired value.
  - Lists are keyed as server-side apply keys them for the built-in kinds (containers, env, ports, volumes and
    volume mounts, ...); any other list is one field.
  - The values of a Secret's C(data) and C(stringData) are never returned, masked on both sides.
  - Reads only, with one API client for every object; an object that does not exist, or whose API is not served,
    is reported as missing.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff; RV(objects) lists the live and the desired value of each drifted field.
    support: none
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  objects:
    description:
      - The desired objects, as they are applied (each with C(apiVersion), C(kind) and C(metadata.name), and
        C(metadata.namespace) when namespaced).
      - They may hold Secret values; give the task C(no_log) then, the module returns none of them.
    type: list
    elements: dict
    required: true
  field_manager:
    description:
      - The field manager the objects are applied with (server-side apply), whose fields are compared.
    type: str
    required: true
  fellow_field_managers:
    description:
      - The deployment's other field managers, such as the one that writes generated Secret values create-only.
        A field one of them owns is the collection's, not drift.
    type: list
    elements: str
    default: []
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - name: Server-side apply, field management
    description: How the API server records which manager owns which field.
    link: https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
"""

EXAMPLES = r"""
- name: Report what another manager changed of the engine's objects
  botcore.platform.drift:
    objects: "{{ __core_engine_objects }}"
    field_manager: botcore-platform
  register: engine_drift

- name: Print the drift as a table
  ansible.builtin.debug:
    msg: "{{ engine_drift.table }}"
"""

RETURN = r"""
objects:
  description: One entry per desired object, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    object:
      description: C(Kind namespace/name) of the object.
      type: str
      sample: Deployment bot-core-production/rust-core-engine
    api_version:
      description: The object's C(apiVersion).
      type: str
      sample: apps/v1
    kind:
      description: The object's kind.
      type: str
      sample: Deployment
    namespace:
      description: The object's namespace; null when cluster-scoped.
      type: str
      sample: bot-core-production
    name:
      description: The object's name.
      type: str
      sample: rust-core-engine
    state:
      description: V(in_sync), V(drifted) or V(missing).
      type: str
      sample: drifted
    reason:
      description: Why the object is missing.
      type: str
      returned: when RV(objects[].state) is V(missing)
      sample: not found
    fields:
      description:
        - The drifted fields, in the order of the desired object.
        - C(path) is the field's FieldsV1 path (as in managedFields), C(field) the same for people; C(manager) the
          other managers that own it now, comma-separated, or null when nobody does; C(ours) whether O(field_manager)
          still owns it too; C(live) (null and C(live_present) false when removed) and C(desired) its values.
      type: list
      elements: dict
      sample:
        - path: ["f:metadata", "f:labels", "f:app.kubernetes.io/version"]
          field: metadata.labels["app.kubernetes.io/version"]
          manager: kubectl-label
          ours: false
          live: hand-made
          live_present: true
          desired: 1.0.0
drifted:
  description: How many objects have drifted fields.
  returned: always
  type: int
  sample: 1
missing:
  description: How many objects do not exist.
  returned: always
  type: int
  sample: 0
table:
  description:
    - The drift as a table for people (object, field, manager, live -> desired), or a line saying there is none.
  returned: always
  type: str
  sample: "OBJECT  FIELD  MANAGER  LIVE -> DESIRED"
"""

import copy

from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.managed_fields import drift, drift_table, object_label
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class NotFoundError(DynamicApiError):
        pass

    class ResourceNotFoundError(Exception):
        pass


DRIFT_ARG_SPEC = {
    "objects": {"type": "list", "elements": "dict", "required": True},
    "field_manager": {"type": "str", "required": True},
    "fellow_field_managers": {"type": "list", "elements": "str", "default": []},
}


class DriftError(Exception):
    """An object that cannot be compared: not a Kubernetes object, or its read failed for another reason than 404."""


def argspec():
    args = copy.deepcopy(DRIFT_ARG_SPEC)
    args.update(AUTH_ARG_SPEC)
    args.update(CLUSTER_ARG_SPEC)
    return args


def read(client, desired):
    """The live object as a dict; None and the reason when it does not exist or its API is not served."""
    metadata = desired.get("metadata") or {}
    if not (desired.get("apiVersion") and desired.get("kind") and metadata.get("name")):
        raise DriftError(f"objects: {object_label(desired)} lacks apiVersion, kind or metadata.name")
    try:
        resource = client.resource(desired["kind"], desired["apiVersion"])
    except ResourceNotFoundError:
        return None, f"the API {desired['apiVersion']} {desired['kind']} is not served"
    namespace = metadata.get("namespace") if resource.namespaced else None
    try:
        return resource.get(name=metadata["name"], namespace=namespace).to_dict(), None
    except NotFoundError:
        return None, "not found"
    except DynamicApiError as exc:
        raise DriftError(f"reading {object_label(desired)} failed: {exc.summary()}") from exc


def run(client, objects, field_manager, fellow_managers=()):
    results = []
    for desired in objects:
        metadata = desired.get("metadata") or {}
        live, reason = read(client, desired)
        fields = drift(desired, live, field_manager, fellow_managers) if live is not None else []
        result = {
            "object": object_label(desired),
            "api_version": desired["apiVersion"],
            "kind": desired["kind"],
            "namespace": metadata.get("namespace"),
            "name": metadata["name"],
            "state": "missing" if live is None else "drifted" if fields else "in_sync",
            "fields": fields,
        }
        if reason:
            result["reason"] = reason
        results.append(result)
    return {
        "changed": False,
        "objects": results,
        "drifted": sum(1 for result in results if result["state"] == "drifted"),
        "missing": sum(1 for result in results if result["state"] == "missing"),
        "table": drift_table(results),
    }


def main():
    module = AnsibleK8SModule(argument_spec=argspec(), supports_check_mode=True)
    try:
        params = module.params
        result = run(
            get_api_client(module=module), params["objects"], params["field_manager"], params["fellow_field_managers"]
        )
    except DriftError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        fail_if_unreachable(module, exc, "the drift report", CoreException)
        raise
    module.exit_json(**result)


if __name__ == "__main__":
    main()
