#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
module: helm_release_diff
short_description: Show what installing, upgrading or uninstalling a Helm release would change, object by object
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Compares the objects a Helm release records now (C(helm get manifest) and C(helm get hooks)) with the objects
    the same options would give it, object by object, and reports the objects that would be created, changed or
    deleted, with a unified diff of each changed object's YAML. It is the check mode of M(kubernetes.core.helm)
    without the helm-diff plugin, which otherwise only compares values and chart version.
  - The desired objects are those of C(helm upgrade --install --dry-run=server --output=json) run with what
    M(kubernetes.core.helm) would pass for the same options (chart, O(chart_version), O(chart_repo_url), the values
    file it writes for O(release_values), C(--reset-values), O(post_renderer)), so the comparison is exact.
    C(--dry-run=server) lets the chart's C(lookup) calls read the cluster, and makes Helm refuse what the real
    upgrade would refuse, such as objects another release owns.
  - With O(release_state=absent) every object of the release's manifest would be deleted. Its hooks are left
    out, since an uninstall does not delete hook objects (their delete policies do); the delete hooks it would run
    are not shown.
  - Objects are matched by API group, kind, namespace (as the chart writes it) and name; hooks are compared as
    hooks, as the release records them (an upgrade runs them again even where they do not change). A Secret's
    C(data) and C(stringData) values are never shown, only which keys change.
  - It only reads. Nothing is written to the cluster, in check mode or not, so it behaves the same in both.
  - It compares Helm's record of the release, not the live objects. CRDs of a chart's C(crds/) directory are not
    part of that record and are not compared. A release that was uninstalled with its history kept counts as
    absent; otherwise the newest revision, whatever its status, is the current state.
extends_documentation_fragment:
  - kubernetes.core.helm_common_options
attributes:
  check_mode:
    description: Runs in check mode. It never changes anything, so it behaves the same in and out of check mode.
    support: full
  diff_mode:
    description:
      - Returns a unified diff of each changed object's YAML and the names of the objects that would be created or
        deleted. Secret values are masked.
    support: full
  action_group:
    description:
      - Use C(group/botcore.platform.platform) in C(module_defaults) to set defaults for this module. The group
        includes C(group/kubernetes.core.k8s), whose modules take more connection options than Helm does; only
        those this module takes (O(kubeconfig), O(context), O(host), O(api_key), O(validate_certs), O(ca_cert)) can
        be set for the whole group.
    support: full
    membership:
      - botcore.platform.platform
options:
  release_name:
    description:
      - Name of the release.
    type: str
    required: true
    aliases: [name]
  release_namespace:
    description:
      - Namespace of the release.
    type: str
    required: true
    aliases: [namespace]
  release_state:
    description:
      - V(present) compares with an install or upgrade of the chart, V(absent) with an uninstall.
    type: str
    choices: [present, absent]
    default: present
    aliases: [state]
  chart_ref:
    description:
      - The chart, as M(kubernetes.core.helm) takes it; a chart name with O(chart_repo_url), a packaged chart, an
        unpacked chart directory, an C(oci://) reference or a URL.
      - Required when O(release_state=present).
    type: path
  chart_repo_url:
    description:
      - Chart repository URL where to locate the chart.
    type: str
  chart_version:
    description:
      - Chart version; by default the latest one, or a local chart's own version.
    type: str
  release_values:
    description:
      - Values to pass to the chart, as M(kubernetes.core.helm) takes them.
      - They are not returned (not even in C(invocation)). They are not marked C(no_log), because Ansible would then
        mask every occurrence of each value (a port number, V(NodePort)) throughout the diff; what they render into
        a Secret is masked instead. Do not set C(no_log) on the task either, which would hide the diff.
    type: dict
    default: {}
    aliases: [values]
  post_renderer:
    description:
      - Path of an executable to use as Helm's C(--post-renderer), the same one as the release is installed with.
    type: str
notes:
  - M(kubernetes.core.helm) without helm-diff decides to upgrade by values and chart version alone, so the two can
    disagree. Values that change no object are no change here, though M(kubernetes.core.helm) would record a new
    revision; a chart that renders differently with the same values and version (a new O(post_renderer), a
    C(lookup) result) is a change here, though M(kubernetes.core.helm) would not upgrade.
requirements:
  - helm >= 3.13.0 (for C(helm get metadata) and C(--dry-run=server))
  - PyYAML
seealso:
  - module: kubernetes.core.helm
  - name: helm upgrade
    description: The command whose dry run gives the desired objects.
    link: https://helm.sh/docs/helm/helm_upgrade/
"""

EXAMPLES = r"""
- name: Show what upgrading ingress-nginx to 4.15.1 would change
  botcore.platform.helm_release_diff:
    release_name: ingress-nginx
    release_namespace: ingress-nginx
    chart_ref: ingress-nginx
    chart_repo_url: https://kubernetes.github.io/ingress-nginx
    chart_version: 4.15.1
    release_values:
      controller:
        service:
          type: NodePort
  diff: true
  register: ingress_nginx_upgrade

- name: Say what would change
  ansible.builtin.debug:
    msg: "{{ ingress_nginx_upgrade.summary.message }}: {{ ingress_nginx_upgrade.summary.changed | join(', ') }}"
  when: ingress_nginx_upgrade is changed

- name: Check a packaged chart through a post-renderer, on a given cluster
  botcore.platform.helm_release_diff:
    kubeconfig: /etc/botcore/kubeconfig
    context: production
    release_name: cert-manager
    release_namespace: cert-manager
    chart_ref: /srv/charts/cert-manager-v1.21.1.tgz
    release_values:
      crds:
        enabled: true
    post_renderer: /usr/local/bin/strip-webhooks

- name: Show what uninstalling the release would delete
  botcore.platform.helm_release_diff:
    release_name: kube-prometheus-stack
    release_namespace: monitoring
    release_state: absent
"""

RETURN = r"""
summary:
  description: The objects that would be created, changed and deleted, by name, hooks marked V((hook)).
  returned: always
  type: dict
  contains:
    created:
      description: Objects that would be created, as C(Kind.group namespace/name) (no group for the core API).
      type: list
      elements: str
      returned: always
      sample: ["Job.batch ingress-nginx/ingress-nginx-admission-create (hook)"]
    changed:
      description: Objects that would change.
      type: list
      elements: str
      returned: always
      sample:
        - Deployment.apps ingress-nginx/ingress-nginx-controller
        - Service ingress-nginx/ingress-nginx-controller
    deleted:
      description: Objects that would be deleted.
      type: list
      elements: str
      returned: always
      sample: []
    unchanged:
      description: How many objects would stay as they are.
      type: int
      returned: always
      sample: 12
    message:
      description: The counts in one line, for messages.
      type: str
      returned: always
      sample: "ingress-nginx/ingress-nginx: 0 created, 9 changed, 0 deleted, 12 unchanged"
current:
  description: The release as Helm records it now; null when there is none (never installed, or uninstalled).
  returned: always
  type: dict
  sample: {revision: 1, status: deployed, chart: ingress-nginx, chart_version: 4.14.3, app_version: 1.14.3}
  contains:
    revision:
      description: Revision number.
      type: int
    status:
      description: Helm's status of the revision (C(deployed), C(failed), C(pending-upgrade), ...).
      type: str
    chart:
      description: Chart name.
      type: str
    chart_version:
      description: Chart version.
      type: str
    app_version:
      description: The chart's appVersion.
      type: str
desired:
  description: The revision the install or upgrade would record; null when O(release_state=absent).
  returned: always
  type: dict
  sample: {revision: 2, chart: ingress-nginx, chart_version: 4.15.1, app_version: 1.15.1}
  contains:
    revision:
      description: Revision number it would get.
      type: int
    chart:
      description: Chart name.
      type: str
    chart_version:
      description: Chart version.
      type: str
    app_version:
      description: The chart's appVersion.
      type: str
command:
  description:
    - The dry-run command that gave the desired objects (the values file is a temporary file, removed since).
  returned: when O(release_state=present)
  type: str
  sample: >-
    helm upgrade --install --reset-values --dry-run=server --output=json --version=4.15.1
    --repo=https://kubernetes.github.io/ingress-nginx --values=/tmp/tmpa1b2c3.yml ingress-nginx ingress-nginx
diff:
  description:
    - In Ansible's diff format, what C(--diff) prints; an empty list when nothing would change.
    - One entry naming the objects that would be created or deleted (when there are any), then one before/after
      entry per changed object, its YAML with sorted keys and Secret values masked (V(<masked>), and
      V(<masked, old value>) and V(<masked, new value>) for a value that changes).
  returned: in diff mode
  type: list
  elements: dict
  sample:
    - prepared: "+ created: Job.batch ingress-nginx/ingress-nginx-admission-create (hook)\n"
    - before_header: Deployment.apps ingress-nginx/ingress-nginx-controller (revision 1, ingress-nginx-4.14.3)
      after_header: Deployment.apps ingress-nginx/ingress-nginx-controller (ingress-nginx-4.15.1)
      before: "apiVersion: apps/v1\n..."
      after: "apiVersion: apps/v1\n..."
"""

import copy
import os
import shlex
import tempfile

from ansible_collections.botcore.platform.plugins.module_utils.helm_diff import (
    HelmDiffError,
    compare,
    current_objects,
    dump_values,
    parse_dry_run,
    parse_metadata,
    summary_message,
    upgrade_command,
    without_hooks,
)
from ansible_collections.kubernetes.core.plugins.module_utils.helm import AnsibleHelmModule
from ansible_collections.kubernetes.core.plugins.module_utils.helm_args_common import HELM_AUTH_ARG_SPEC

HELM_RELEASE_DIFF_ARG_SPEC = {
    "release_name": {"type": "str", "required": True, "aliases": ["name"]},
    "release_namespace": {"type": "str", "required": True, "aliases": ["namespace"]},
    "release_state": {"type": "str", "default": "present", "choices": ["present", "absent"], "aliases": ["state"]},
    "chart_ref": {"type": "path"},
    "chart_repo_url": {"type": "str"},
    "chart_version": {"type": "str"},
    # Not no_log: see the option's documentation; main() keeps the values out of the result instead.
    "release_values": {"type": "dict", "default": {}, "aliases": ["values"], "no_log": False},
    "post_renderer": {"type": "str"},
}

# What `helm get` prints on stderr for a release that has never been installed or was uninstalled without history.
NOT_FOUND = "release: not found"


def argspec():
    args = copy.deepcopy(HELM_AUTH_ARG_SPEC)
    args.update(HELM_RELEASE_DIFF_ARG_SPEC)
    return args


def helm(module, command, missing_ok=False):
    """Run a helm command: its output, or None for a missing release if ``missing_ok``.

    A failure reports Helm's error only, never its output, which may hold the release's Secrets.
    """
    rc, out, err = module.run_helm_command(command, fails_on_error=False)
    if rc != 0 and missing_ok and NOT_FOUND in err:
        return None
    if rc != 0:
        module.fail_json(msg=f"{shlex.join(command)} failed (exit {rc}): {err.strip()}", rc=rc, **_hidden(module))
    return out


def _hidden(module):
    """The invocation to return, the values left out (Ansible's own placeholder for a hidden value)."""
    args = dict(module.params, release_values="VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    return {"invocation": {"module_args": args}}


def read_current(module, binary):
    """``(facts, objects)`` of the release as Helm records it, or ``(None, {})`` when there is none."""
    name = module.params["release_name"]
    metadata = helm(module, [binary, "get", "metadata", name, "--output=json"], missing_ok=True)
    if metadata is None:
        return None, {}
    facts = parse_metadata(metadata)
    # kubernetes.core.helm treats a release uninstalled with its history kept as absent, and so does this.
    if str(facts["status"]).startswith("uninstall"):
        return None, {}
    manifest = helm(module, [binary, "get", "manifest", name])
    hooks = helm(module, [binary, "get", "hooks", name])
    return facts, current_objects(manifest, hooks)


def read_desired(module, binary):
    """``(facts, objects, command)`` of the release the install or upgrade would record."""
    values_file = None
    if module.params["release_values"]:
        # The file kubernetes.core.helm writes (-f), so Helm parses exactly what the real upgrade gets.
        fd, values_file = tempfile.mkstemp(suffix=".yml")
        module.add_cleanup_file(values_file)
        with os.fdopen(fd, "w") as handle:
            handle.write(dump_values(module.params["release_values"]))
    command = upgrade_command(binary, module.params, values_file)
    objects, facts = parse_dry_run(helm(module, command))
    return facts, objects, shlex.join(command)


def label(facts, revision=True):
    chart = f"{facts['chart']}-{facts['chart_version']}"
    return f"revision {facts['revision']}, {chart}" if revision else chart


def main():
    module = AnsibleHelmModule(
        argument_spec=argspec(),
        required_if=[("release_state", "present", ["chart_ref"])],
        mutually_exclusive=[("context", "ca_cert")],
        supports_check_mode=True,
    )
    params = module.params
    binary = module.get_helm_binary()
    result = {"changed": False, **_hidden(module)}
    try:
        current, current_objs = read_current(module, binary)
        desired, desired_objs = None, {}
        if params["release_state"] == "present":
            desired, desired_objs, result["command"] = read_desired(module, binary)
        else:
            current_objs = without_hooks(current_objs)
        summary, diff = compare(
            current_objs,
            desired_objs,
            label(current) if current else "no release",
            label(desired, revision=False) if desired else "uninstalled",
        )
    except HelmDiffError as exc:
        module.fail_json(msg=f"{params['release_namespace']}/{params['release_name']}: {exc}", **_hidden(module))
    summary["message"] = summary_message(f"{params['release_namespace']}/{params['release_name']}", summary)
    result.update(
        changed=bool(summary["created"] or summary["changed"] or summary["deleted"]),
        summary=summary,
        current=current,
        desired=desired,
    )
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
