#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: generated_secrets
short_description: Write generated Secret values create-only, and rotated ones, and return the values that won
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Writes the keys of Secrets whose values a run generated, so that a generated value never overwrites one that is
    there. A key in O(secrets[].create) is written only when the Secret or the key does not exist yet. The Secret is
    created (which fails when it exists) or the key added by a merge patch carrying the C(resourceVersion) read
    (which fails when anyone wrote since); on either failure the module reads the Secret again, and every key that
    exists by then keeps the value in the cluster.
  - A key in O(secrets[].replace) (a rotated value) is written whatever the key holds, with the same precondition.
  - RV(data) returns what each of those keys holds afterwards, so that checksums and consumers follow the value in
    the cluster, whichever of two racing runs wrote it.
  - Only the keys given are written; the other keys, the labels and the rest of the Secret are left to the
    server-side apply that follows (with another field manager than O(field_manager)).
  - A Secret whose namespace does not exist is created after a bare Namespace, which the apply then labels.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - botcore.platform.cluster
attributes:
  check_mode:
    description: Reads the Secrets and reports which keys would be created or rotated; writes nothing.
    support: full
  diff_mode:
    description: One diff per Secret it writes or would write, listing its keys with every value masked.
    support: full
  action_group:
    description: Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - botcore.platform.platform
options:
  secrets:
    description:
      - The Secrets to write, each with the keys this run generated or rotated.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The Secret's name.
        type: str
        required: true
      namespace:
        description: The Secret's namespace.
        type: str
        required: true
      create:
        description: Key -> generated value, written only where the key is missing or empty. Not logged.
        type: dict
        default: {}
      replace:
        description: Key -> rotated value, written unless the key holds it already. Not logged.
        type: dict
        default: {}
  field_manager:
    description:
      - The field manager of the writes. It must differ from the one that server-side applies the whole Secret,
        whose applied set would otherwise change.
    type: str
    default: botcore-platform-generator
requirements:
  - python >= 3.9
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
seealso:
  - module: botcore.platform.deploy_lock
    description: Serialises the runs, so that this module's races are the rare case.
"""

EXAMPLES = r"""
- name: Write the generated values create-only, learn the values that won
  botcore.platform.generated_secrets:
    secrets:
      - name: mongodb-credentials
        namespace: bot-core-production
        create:
          root-password: "{{ lookup('ansible.builtin.password', '/dev/null', length=48) }}"
      - name: bot-core-secrets
        namespace: bot-core-production
        replace:
          inter-service-token: "{{ lookup('ansible.builtin.password', '/dev/null', length=48) }}"
  register: written
  no_log: true
"""

RETURN = r"""
data:
  description:
    - Secret name -> key -> the value each given key holds after the run (or would hold, in check mode), base64
      encoded as in a Secret's C(data), since Ansible masks every occurrence of a C(no_log) input in a result.
    - Register it with C(no_log) on the task.
  returned: always
  type: dict
  sample: {"mongodb-credentials": {"root-password": "c2VjcmV0"}}
secrets:
  description: Per Secret, the keys created, those kept because they existed, and those rotated; no values.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "mongodb-credentials", "namespace": "bot-core-production", "created": ["root-password"],
            "kept": [], "rotated": []}]
"""

from ansible_collections.botcore.platform.plugins.module_utils.connection import CLUSTER_ARG_SPEC, fail_if_unreachable
from ansible_collections.botcore.platform.plugins.module_utils.generated_secrets import Api, SecretError, run
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException


def argspec():
    args = {
        "secrets": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "no_log": False,
            "options": {
                "name": {"type": "str", "required": True},
                "namespace": {"type": "str", "required": True},
                "create": {"type": "dict", "default": {}, "no_log": True},
                "replace": {"type": "dict", "default": {}, "no_log": True},
            },
        },
        "field_manager": {"type": "str", "default": "botcore-platform-generator"},
    }
    args.update(AUTH_ARG_SPEC)
    args.update(CLUSTER_ARG_SPEC)
    return args


def main():
    module = AnsibleK8SModule(argument_spec=argspec(), supports_check_mode=True)
    params = module.params
    for item in params["secrets"]:
        for option in ("create", "replace"):
            if not all(isinstance(value, str) and value for value in item[option].values()):
                module.fail_json(msg=f"secrets[{item['name']}].{option}: every value must be a non-empty string")
    try:
        result = run(Api(get_api_client(module=module), params["field_manager"]), params["secrets"], module.check_mode)
    except SecretError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # a lost API is told apart from every other failure, which keeps its own report
        fail_if_unreachable(module, exc, "the generated Secret values", CoreException)
        raise
    diff = result.pop("diff")
    if module._diff and diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
