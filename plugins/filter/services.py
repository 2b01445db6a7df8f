# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the service registry (platform_services): what other roles derive from it, and references to it."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _registry(services):
    if not isinstance(services, Mapping) or not services:
        raise AnsibleFilterError(f"the service registry must be a non-empty dict, got {services!r}")
    for component, service in services.items():
        if not isinstance(service, Mapping) or not {"name", "kind", "port"} <= set(service):
            raise AnsibleFilterError(f"platform_services.{component}: needs a name, a kind and a port, got {service!r}")
    return services


def service_workloads(services):
    """Return each component's workload and autoscaler, in the registry's (dependency) order."""
    return {
        component: {
            "kind": service["kind"],
            "name": service["name"],
            # The workload roles name their HPA after the Deployment; a StatefulSet has none.
            "hpa": f"{service['name']}-hpa" if service["kind"] == "Deployment" else "",
        }
        for component, service in _registry(services).items()
    }


def service_ref_errors(ref, varname, services, name_key="service"):
    """Return one message if ref (a dict with a name and a port) is not a registered service at its own port."""
    registry = _registry(services)
    if not isinstance(ref, Mapping):
        return [f"{varname}: must be a dict with {name_key} and port, got {ref!r}"]
    name, port = ref.get(name_key), ref.get("port")
    by_name = {service["name"]: (component, service) for component, service in registry.items()}
    if name not in by_name:
        known = ", ".join(sorted(by_name))
        return [f"{varname}.{name_key}: {name!r} is no service of the platform (platform_services has {known})"]
    component, service = by_name[name]
    if str(port) != str(service["port"]):
        return [
            f"{varname}.port: {name} serves on {service['port']} (platform_services.{component}.port), "
            f"not {port!r}; nothing would answer there"
        ]
    return []


class FilterModule:
    def filters(self):
        return {
            "service_workloads": service_workloads,
            "service_ref_errors": service_ref_errors,
        }
