# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mongodb role's validation: the rules its argument spec cannot express, each message naming the variable."""

from __future__ import annotations

from ansible_collections.botcore.platform.plugins.filter.images import image_errors
from ansible_collections.botcore.platform.plugins.filter.inventory import namespace_errors
from ansible_collections.botcore.platform.plugins.filter.jobs import cron_errors
from ansible_collections.botcore.platform.plugins.filter.limit_ranges import limit_range_errors
from ansible_collections.botcore.platform.plugins.filter.resources import resource_errors
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_integer, parse_quantity

# An odd number of voting members, at most 7 (MongoDB's limit of voters).
_MEMBER_COUNTS = (1, 3, 5, 7)
_REQUIRED = ("mongodb_storage_class", "mongodb_replica_set", "mongodb_database", "mongodb_auth_source")
_BACKUP_COUNTS = (
    "retention_count",
    "retention_days",
    "backoff_limit",
    "successful_jobs_history_limit",
    "failed_jobs_history_limit",
)
_DEADLINES = ("starting_deadline_seconds", "active_deadline_seconds")
# The CronJob controller looks for missed runs every 10 s.
_MIN_STARTING_DEADLINE = 10


def _positive_quantity(value, varname):
    try:
        if parse_quantity(value) > 0:
            return []
    except (TypeError, ValueError):
        pass
    return [f"{varname}: {value} is not a positive Kubernetes quantity"]


def _backup_errors(settings, replicas):
    # Integers as the argument spec accepts them (extra vars arrive as strings).
    backup = {**settings, **{key: parse_integer(settings[key]) for key in (*_BACKUP_COUNTS, *_DEADLINES)}}
    errors = resource_errors(backup["resources"], "mongodb_backup.resources")
    errors += cron_errors(backup["schedule"], "mongodb_backup.schedule")
    errors += _positive_quantity(backup["storage_size"], "mongodb_backup.storage_size")
    if not backup["time_zone"]:
        errors.append("mongodb_backup.time_zone: must not be empty")
    errors += [
        f"mongodb_backup.{key}: must be 0 or more, got {backup[key]}" for key in _BACKUP_COUNTS if backup[key] < 0
    ]
    if backup["retention_count"] == 0 and backup["retention_days"] == 0:
        errors.append(
            "mongodb_backup.retention_count and mongodb_backup.retention_days: both are 0, so no archive would ever be "
            "deleted"
        )
    if backup["starting_deadline_seconds"] < _MIN_STARTING_DEADLINE:
        errors.append(
            f"mongodb_backup.starting_deadline_seconds: must be at least {_MIN_STARTING_DEADLINE} (the CronJob "
            f"controller checks every {_MIN_STARTING_DEADLINE} s), got {backup['starting_deadline_seconds']}"
        )
    if backup["active_deadline_seconds"] < 1:
        errors.append(
            f"mongodb_backup.active_deadline_seconds: must be at least 1, got {backup['active_deadline_seconds']}"
        )
    if backup["read_preference"] == "secondary" and replicas == 1:
        errors.append(
            "mongodb_backup.read_preference: secondary needs a secondary, and mongodb_replicas is 1; use primary or "
            "secondaryPreferred"
        )
    return errors


def mongodb_errors(settings, production=False, namespace_limits=None):
    """Return the problems with the mongodb role's settings, a dict of its variables by name.

    Types, required keys and choices are the argument spec's; the member count and port are the service registry's
    (``__platform_services.mongodb``, which ``mongodb_replicas`` and ``mongodb_port`` override).
    """
    replicas, port = parse_integer(settings["mongodb_replicas"]), parse_integer(settings["mongodb_port"])
    unavailable = parse_integer(settings["mongodb_pdb_max_unavailable"])
    errors = []
    if replicas not in _MEMBER_COUNTS:
        errors.append(
            f"mongodb_replicas: must be 1, 3, 5 or 7 (an odd number of voting members, at most 7), got {replicas}"
        )
    if not 1 <= port <= 65535:
        errors.append(f"mongodb_port: must be between 1 and 65535, got {port}")
    if unavailable < 1:
        errors.append(f"mongodb_pdb_max_unavailable: must be at least 1, got {unavailable}")
    errors += [f"{name}: must not be empty" for name in _REQUIRED if not settings[name]]
    errors += namespace_errors(settings["mongodb_namespace"], "mongodb_namespace")
    errors += image_errors(settings["mongodb_image"], "mongodb_image", production)
    errors += _positive_quantity(settings["mongodb_storage_size"], "mongodb_storage_size")
    # Every container the role runs, with the variable that sizes it.
    containers = {
        "mongodb_resources": settings["mongodb_resources"],
        "mongodb_keyfile_init_resources": settings["mongodb_keyfile_init_resources"],
        "mongodb_rs_init.resources": settings["mongodb_rs_init"]["resources"],
    }
    if settings["mongodb_backup_enabled"]:
        errors += _backup_errors(settings["mongodb_backup"], replicas)
        containers["mongodb_backup.resources"] = settings["mongodb_backup"]["resources"]
    for varname, resources in containers.items():
        if varname != "mongodb_backup.resources":
            errors += resource_errors(resources, varname)
        if namespace_limits:
            errors += limit_range_errors(resources, namespace_limits, varname)
    return errors


class FilterModule:
    def filters(self):
        return {"mongodb_errors": mongodb_errors}
