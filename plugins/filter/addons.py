# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the cluster add-ons: where their charts and release files come from, and what a release file holds."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ansible.errors import AnsibleFilterError

# The collection's root, for the post-renderers it ships (roles/helm_release/files).
_COLLECTION = Path(__file__).resolve().parents[2]
_SHIPPED_POST_RENDERERS = _COLLECTION / "roles" / "helm_release" / "files"
# A GitHub release asset: .../<owner>/<project>/releases/download/<version>/<file>.
_RELEASE_ASSET = re.compile(
    r"^https://github\.com/[^/]+/(?P<project>[^/]+)/releases/download/(?P<version>[^/]+)/(?P<file>[^/]+)$"
)
# What the Gateway API's standard-install.yaml holds: its CRDs, and the CEL policy (with its binding) that refuses
# unsafe CRD changes, which the API server evaluates itself.
_GATEWAY_API_GROUP = "gateway.networking.k8s.io"
_GATEWAY_API_POLICY = "safe-upgrades.gateway.networking.k8s.io"
_GATEWAY_API_POLICY_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")


def _is_repository_chart(chart_ref, repo_url):
    return bool(repo_url) or chart_ref.startswith("oci://")


def chart_source(chart_ref, repo_url, version, mirror=""):
    """Return the chart_ref, chart_repo_url and chart_version Helm gets: with a mirror, a chart from a repository or an
    OCI registry becomes the mirror's ``charts/<name>-<version>.tgz``, the archive ``helm pull`` writes."""
    if not mirror or not _is_repository_chart(chart_ref, repo_url):
        return {"chart_ref": chart_ref, "chart_repo_url": repo_url, "chart_version": version}
    name = chart_ref.rstrip("/").rpartition("/")[2]
    return {
        "chart_ref": os.path.join(mirror, "charts", f"{name}-{version}.tgz"),
        "chart_repo_url": "",
        "chart_version": version,
    }


def chart_source_errors(chart_ref, repo_url, version, mirror, varname):
    """Return what is wrong with a chart's source, naming ``varname`` (the role's chart_ref variable)."""
    if not chart_ref:
        return [f"{varname}: must name a chart"]
    if _is_repository_chart(chart_ref, repo_url) and not version:
        return [f"{varname}: a chart from a repository or OCI registry needs its version pinned"]
    source = chart_source(chart_ref, repo_url, version, mirror)["chart_ref"]
    if mirror and not os.path.isfile(source):
        return [f"platform_addon_mirror: {mirror} has no {source} for {varname} {chart_ref} {version}"]
    if not _is_repository_chart(chart_ref, repo_url) and not os.path.exists(chart_ref):
        return [f"{varname}: {chart_ref} is neither a chart in a repository nor a local chart that exists"]
    return []


def release_file_source(url, mirror=""):
    """Return where a release asset is read from: with a mirror, ``<mirror>/<project>/<version>/<file>`` for
    ``https://github.com/<owner>/<project>/releases/download/<version>/<file>``; otherwise the URL or path itself."""
    match = _RELEASE_ASSET.match(url) if mirror else None
    return os.path.join(mirror, match["project"], match["version"], match["file"]) if match else url


def helm_post_renderer(value):
    """Return the path of a Helm post-renderer: a name without a slash is one the collection ships."""
    if not value or "/" in value:
        return value
    return str(_SHIPPED_POST_RENDERERS / value)


def helm_post_renderer_errors(value, varname):
    """Return what is wrong with a post-renderer setting: it must be an executable, or the name of a shipped one."""
    path = helm_post_renderer(value)
    if not path or (os.path.isfile(path) and os.access(path, os.X_OK)):
        return []
    shipped = sorted(entry.name for entry in _SHIPPED_POST_RENDERERS.iterdir() if os.access(entry, os.X_OK))
    return [
        f"{varname}: {value} is not an executable file (an absolute path, or one of the shipped {', '.join(shipped)})"
    ]


def gateway_api_errors(objects, varname):
    """Return what a Gateway API release file holds besides the Gateway API's CRDs and its safe-upgrades policy."""
    if isinstance(objects, (str, Mapping)) or not isinstance(objects, Sequence):
        raise AnsibleFilterError(
            f"gateway_api_errors: the input must be a list of objects, got {type(objects).__name__}"
        )
    crds = [item for item in objects if isinstance(item, Mapping) and item.get("kind") == "CustomResourceDefinition"]
    unexpected = []
    for item in objects:
        kind = item.get("kind", "?") if isinstance(item, Mapping) else type(item).__name__
        name = (item.get("metadata") or {}).get("name", "?") if isinstance(item, Mapping) else repr(item)
        if kind == "CustomResourceDefinition" and (item.get("spec") or {}).get("group") == _GATEWAY_API_GROUP:
            continue
        if kind in _GATEWAY_API_POLICY_KINDS and name == _GATEWAY_API_POLICY:
            continue
        unexpected.append(f"{kind} {name}")
    errors = [f"{varname}: holds no Gateway API CustomResourceDefinition"] if not crds else []
    if unexpected:
        errors.append(
            f"{varname}: must hold only the Gateway API's CRDs and its {_GATEWAY_API_POLICY} policy and binding, "
            f"also holds {', '.join(unexpected)}"
        )
    return errors


class FilterModule:
    def filters(self):
        return {
            "chart_source": chart_source,
            "chart_source_errors": chart_source_errors,
            "release_file_source": release_file_source,
            "helm_post_renderer": helm_post_renderer,
            "helm_post_renderer_errors": helm_post_renderer_errors,
            "gateway_api_errors": gateway_api_errors,
        }
