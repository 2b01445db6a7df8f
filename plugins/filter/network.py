# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for DNS host names and MongoDB replica set addressing."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_integer

_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A bracketed IPv6 address or a host without URI delimiters, then a port.
_MEMBER_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@,:\[\]]+):(?P<port>[0-9]{1,5})")
# MongoDB option names are case-insensitive; these two are set from dedicated arguments.
_RESERVED_OPTIONS = ("replicaset", "authsource")


def _is_dns_name(host):
    name = host[2:] if host.startswith("*.") else host
    return 0 < len(name) <= 253 and all(_LABEL_RE.fullmatch(label) for label in name.split("."))


def _text(value, filter_name, name):
    """Return value if it is a non-empty string; the value itself stays out of the message as it may be a secret."""
    if not isinstance(value, str):
        raise AnsibleFilterError(f"{filter_name}: {name} must be a string, got {native_type_name(value)}")
    if value == "":
        raise AnsibleFilterError(f"{filter_name}: {name} must not be empty")
    return value


def _bounded_integer(value, filter_name, name, minimum, maximum=None):
    try:
        number = parse_integer(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"{filter_name}: {name}: {exc}") from exc
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise AnsibleFilterError(f"{filter_name}: {name} must be {bounds}, got {number}")
    return number


def hostname_errors(hosts, varname):
    """Return one message per entry that is not an RFC 1123 DNS name (an optional ``*.`` wildcard prefix is allowed)."""
    if isinstance(hosts, str):
        named = [(varname, hosts)]
    elif isinstance(hosts, Sequence):
        named = [(f"{varname}[{index}]", host) for index, host in enumerate(hosts)]
    else:
        return [f"{varname}: must be a host name or a list of host names, got {hosts!r}"]
    errors = []
    for path, host in named:
        if isinstance(host, str) and _is_ip_address(host):
            # An Ingress or HTTPRoute host, and a certificate's DNS name, must be a name; the API server refuses IPs.
            errors.append(
                f"{path}: {host!r} is an IP address; a host name is required (Ingress and HTTPRoute hosts "
                "and certificate DNS names cannot be IP addresses)"
            )
        elif not isinstance(host, str) or not _is_dns_name(host):
            errors.append(
                f"{path}: {host!r} is not an RFC 1123 DNS name (lowercase letters, digits, '-' and '.'; "
                "labels of 1 to 63 characters that start and end with a letter or digit; at most 253 characters; "
                "an optional leading '*.')"
            )
    return errors


def _is_ip_address(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def mongodb_uri(members, username, password, database, replica_set, auth_source="admin", options=None):
    """Return a ``mongodb://`` connection string for a replica set with percent-encoded credentials."""
    if isinstance(members, str) or not isinstance(members, Sequence) or not members:
        raise AnsibleFilterError(
            f"mongodb_uri: members must be a non-empty list of 'host:port' strings, got {members!r}"
        )
    for index, member in enumerate(members):
        match = _MEMBER_RE.fullmatch(member) if isinstance(member, str) else None
        if match is None:
            raise AnsibleFilterError(f"mongodb_uri: members[{index}]: {member!r} is not a 'host:port' string")
        _bounded_integer(match.group("port"), "mongodb_uri", f"members[{index}] port", 1, 65535)
    user = quote(_text(username, "mongodb_uri", "username"), safe="")
    secret = quote(_text(password, "mongodb_uri", "password"), safe="")
    path = quote(_text(database, "mongodb_uri", "database"), safe="")
    query = {
        "replicaSet": _text(replica_set, "mongodb_uri", "replica_set"),
        "authSource": _text(auth_source, "mongodb_uri", "auth_source"),
    }
    if options is not None and not isinstance(options, Mapping):
        raise AnsibleFilterError(f"mongodb_uri: options must be a dict, got {options!r}")
    for key, value in (options or {}).items():
        if not isinstance(key, str):
            raise AnsibleFilterError(f"mongodb_uri: options key {key!r} must be a string")
        if key.lower() in _RESERVED_OPTIONS:
            raise AnsibleFilterError(
                f"mongodb_uri: options.{key} is not allowed; use the replica_set and auth_source arguments"
            )
        if isinstance(value, bool):
            # MongoDB expects lowercase booleans, Python would render True/False.
            value = "true" if value else "false"
        elif not isinstance(value, (str, int, float)):
            raise AnsibleFilterError(f"mongodb_uri: options.{key}: {value!r} must be a string, number or boolean")
        query[key] = value
    return f"mongodb://{user}:{secret}@{','.join(members)}/{path}?{urlencode(query, quote_via=quote)}"


def mongodb_members(statefulset_name, service_name, namespace, replicas, port=27017, cluster_domain="cluster.local"):
    """Return the ``host:port`` of each pod of a MongoDB StatefulSet behind its headless service."""
    statefulset = _text(statefulset_name, "mongodb_members", "statefulset_name")
    service = _text(service_name, "mongodb_members", "service_name")
    space = _text(namespace, "mongodb_members", "namespace")
    domain = _text(cluster_domain, "mongodb_members", "cluster_domain")
    count = _bounded_integer(replicas, "mongodb_members", "replicas", 1)
    number = _bounded_integer(port, "mongodb_members", "port", 1, 65535)
    return [f"{statefulset}-{index}.{service}.{space}.svc.{domain}:{number}" for index in range(count)]


class FilterModule:
    def filters(self):
        return {
            "hostname_errors": hostname_errors,
            "mongodb_uri": mongodb_uri,
            "mongodb_members": mongodb_members,
        }
