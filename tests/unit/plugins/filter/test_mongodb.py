# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible_collections.botcore.platform.plugins.filter.mongodb import FilterModule, mongodb_errors

DEFAULTS = yaml.safe_load(
    (Path(__file__).resolve().parents[4] / "roles" / "mongodb" / "defaults" / "main.yml").read_text()
)
SETTINGS = {
    **{
        name: DEFAULTS[name]
        for name in (
            "mongodb_image",
            "mongodb_resources",
            "mongodb_keyfile_init_resources",
            "mongodb_rs_init",
            "mongodb_storage_class",
            "mongodb_storage_size",
            "mongodb_replica_set",
            "mongodb_database",
            "mongodb_auth_source",
            "mongodb_pdb_max_unavailable",
            "mongodb_backup_enabled",
            "mongodb_backup",
        )
    },
    "mongodb_namespace": "bot-core",
    "mongodb_replicas": 3,
    "mongodb_port": 27017,
}
LIMITS = {"max": {"cpu": "8", "memory": "16Gi"}, "min": {"cpu": "100m", "memory": "128Mi"}}


def changed(**changes):
    settings = copy.deepcopy(SETTINGS)
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = settings
        for parent in parents:
            target = target[parent]
        target[key] = value
    return settings


def test_filter_module_exposes_mongodb_errors():
    assert FilterModule().filters() == {"mongodb_errors": mongodb_errors}


def test_the_role_defaults_pass_in_production_and_within_the_namespace_defaults():
    assert mongodb_errors(SETTINGS, True, LIMITS) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mongodb_replicas": 4}, "mongodb_replicas: must be 1, 3, 5 or 7"),
        ({"mongodb_replicas": "9"}, "mongodb_replicas: must be 1, 3, 5 or 7"),
        ({"mongodb_port": 70000}, "mongodb_port: must be between 1 and 65535, got 70000"),
        ({"mongodb_pdb_max_unavailable": "0"}, "mongodb_pdb_max_unavailable: must be at least 1, got 0"),
        ({"mongodb_database": ""}, "mongodb_database: must not be empty"),
        ({"mongodb_namespace": "kube-system"}, "mongodb_namespace: 'kube-system' is reserved"),
        ({"mongodb_image__tag": "latest"}, "mongodb_image.tag"),
        ({"mongodb_storage_size": "100GB"}, "mongodb_storage_size: 100GB is not a positive Kubernetes quantity"),
        ({"mongodb_storage_size": "0"}, "mongodb_storage_size: 0 is not a positive Kubernetes quantity"),
        ({"mongodb_resources__requests__cpu": "5"}, "mongodb_resources.requests.cpu (5) exceeds limits.cpu (4)"),
        ({"mongodb_rs_init__resources__limits__memory": "1x"}, "mongodb_rs_init.resources.limits.memory"),
        ({"mongodb_keyfile_init_resources__limits__cpu": "0"}, "mongodb_keyfile_init_resources.limits.cpu"),
        ({"mongodb_backup__schedule": "60 2 * * *"}, "mongodb_backup.schedule: minute 60 is out of range 0-59"),
        ({"mongodb_backup__time_zone": ""}, "mongodb_backup.time_zone: must not be empty"),
        ({"mongodb_backup__backoff_limit": -1}, "mongodb_backup.backoff_limit: must be 0 or more, got -1"),
        ({"mongodb_backup__retention_count": 0, "mongodb_backup__retention_days": "0"}, "both are 0"),
        (
            {"mongodb_backup__starting_deadline_seconds": 5},
            "mongodb_backup.starting_deadline_seconds: must be at least 10",
        ),
        ({"mongodb_backup__active_deadline_seconds": 0}, "mongodb_backup.active_deadline_seconds: must be at least 1"),
        ({"mongodb_replicas": 1}, "mongodb_backup.read_preference: secondary needs a secondary"),
        ({"mongodb_backup__storage_size": "-1Gi"}, "mongodb_backup.storage_size: -1Gi is not a positive"),
        (
            {"mongodb_backup__resources__requests__memory": "2Gi"},
            "mongodb_backup.resources.requests.memory (2Gi) exceeds",
        ),
    ],
)
def test_each_rule_refuses_naming_the_variable(changes, message):
    errors = mongodb_errors(changed(**changes), True)
    assert any(message in error for error in errors), errors


def test_the_backup_rules_are_off_with_the_backups():
    settings = changed(mongodb_backup_enabled=False, mongodb_backup__schedule="60 2 * * *", mongodb_replicas=1)
    assert mongodb_errors(settings) == []


def test_every_container_must_fit_the_limit_range():
    errors = mongodb_errors(SETTINGS, False, {"max": {"cpu": "1"}, "min": {"memory": "300Mi"}})
    refusal = "; the namespace's LimitRange would refuse these pods"
    assert errors == [
        "namespace_limits.max.cpu: 1 is below mongodb_resources.limits.cpu (4)" + refusal,
        "namespace_limits.max.cpu: 1 is below mongodb_resources.requests.cpu (2)" + refusal,
        "namespace_limits.min.memory: 300Mi is above mongodb_keyfile_init_resources.requests.memory (128Mi)" + refusal,
        "namespace_limits.min.memory: 300Mi is above mongodb_keyfile_init_resources.limits.memory (128Mi)" + refusal,
        "namespace_limits.min.memory: 300Mi is above mongodb_rs_init.resources.requests.memory (256Mi)" + refusal,
    ]
