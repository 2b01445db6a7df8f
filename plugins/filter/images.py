# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that validate container image settings and build image references from them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_FIELDS = ("registry", "repository", "tag", "digest")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# OCI image-spec: sha256 digests are 64 lowercase hex characters.
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
# The distribution reference grammar: a registry host with an optional port (no scheme, no path), and a repository of
# lowercase path components separated by single slashes.
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY_RE = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]+)?")
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
# Tags that name a moving target, not a release: production refuses them without a digest.
_FLOATING_TAGS = frozenset({"latest", "stable", "edge", "main", "master", "develop", "dev", "nightly", "canary"})


def _image_fields(image, varname, errors, require_pinned=False):
    """Return the image fields as strings (missing or null ones empty), recording problems in errors."""
    if not isinstance(image, Mapping):
        errors.append(f"{varname}: must be a dict with registry, repository, tag and digest, got {image!r}")
        return {}
    fields = {}
    for field in _FIELDS:
        value = image.get(field)
        if value is None:
            value = ""
        elif not isinstance(value, str):
            # Unquoted YAML tags such as 1.10 load as numbers and would lose characters.
            errors.append(f"{varname}.{field}: {value!r} must be a string; quote it in YAML")
            continue
        fields[field] = value
    registry, repository = fields.get("registry"), fields.get("repository")
    if registry and not _REGISTRY_RE.fullmatch(registry):
        errors.append(
            f"{varname}.registry: {registry!r} is not a registry host (a DNS name or address with an optional :port; "
            "no scheme, path or spaces)"
        )
    if repository == "":
        errors.append(f"{varname}.repository: must not be empty")
    elif repository and not _REPOSITORY_RE.fullmatch(repository):
        errors.append(
            f"{varname}.repository: {repository!r} is not an image repository (lowercase letters, digits and "
            "separators '.', '_', '-', in components joined by single '/'; the tag and digest have their own fields)"
        )
    tag = fields.get("tag")
    digest = fields.get("digest")
    if tag == "" and digest == "":
        errors.append(f"{varname}: neither tag nor digest is set")
    if tag and not _TAG_RE.fullmatch(tag):
        errors.append(
            f"{varname}.tag: {tag!r} is not a valid tag "
            "(letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters)"
        )
    if digest and not _DIGEST_RE.fullmatch(digest):
        errors.append(f"{varname}.digest: {digest!r} is not a digest of the form sha256:<64 lowercase hex characters>")
    if require_pinned and tag and tag.lower() in _FLOATING_TAGS and digest == "":
        errors.append(
            f"{varname}.tag: {tag!r} is a floating tag, not allowed in production; pin a version tag or a digest"
        )
    return fields


def image_ref(image):
    """Return ``[registry/]repository[:tag][@digest]`` for an image settings dict."""
    errors = []
    fields = _image_fields(image, "image", errors)
    if errors:
        raise AnsibleFilterError(f"image_ref: {'; '.join(errors)}")
    ref = fields["repository"]
    if fields["registry"]:
        ref = f"{fields['registry']}/{ref}"
    if fields["tag"]:
        ref = f"{ref}:{fields['tag']}"
    if fields["digest"]:
        ref = f"{ref}@{fields['digest']}"
    return ref


def image_errors(image, varname, require_pinned=False):
    """Return the problems with an image settings dict; require_pinned rejects a bare ``latest`` tag."""
    errors = []
    _image_fields(image, varname, errors, require_pinned)
    return errors


class FilterModule:
    def filters(self):
        return {
            "image_ref": image_ref,
            "image_errors": image_errors,
        }
