# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.jobs import FilterModule, cron_errors, job_from_cronjob


def cronjob():
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "mongodb-backup", "namespace": "ns", "uid": "u-1", "resourceVersion": "7"},
        "spec": {
            "schedule": "0 2 * * *",
            "jobTemplate": {
                "metadata": {"labels": {"app": "mongodb-backup"}, "annotations": {"a": "1"}},
                "spec": {
                    "backoffLimit": 2,
                    "template": {
                        "metadata": {"labels": {"app": "mongodb-backup"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "backup",
                                    "env": [{"name": "KEEP", "value": "k"}, {"name": "OVER", "value": "o"}],
                                },
                                {"name": "other"},
                            ]
                        },
                    },
                },
            },
        },
    }


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {"job_from_cronjob": job_from_cronjob, "cron_errors": cron_errors}


def test_job_from_cronjob_copies_the_template_without_owner():
    source = cronjob()
    original = copy.deepcopy(source)
    job = job_from_cronjob(
        source, "manual-1", labels={"extra": "x"}, annotations={"note": 5}, env={"OVER": 1, "NEW": "n"}
    )
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    assert job["metadata"] == {
        "name": "manual-1",
        "namespace": "ns",
        "labels": {"app": "mongodb-backup", "extra": "x"},
        "annotations": {"a": "1", "cronjob.kubernetes.io/instantiate": "manual", "note": "5"},
    }
    assert "ownerReferences" not in job["metadata"]
    assert job["spec"]["backoffLimit"] == 2
    first, second = job["spec"]["template"]["spec"]["containers"]
    assert first["env"] == [
        {"name": "KEEP", "value": "k"},
        {"name": "OVER", "value": "1"},
        {"name": "NEW", "value": "n"},
    ]
    assert second["env"] == [{"name": "OVER", "value": "1"}, {"name": "NEW", "value": "n"}]
    assert source == original, "the CronJob must not be modified"


def test_job_from_cronjob_without_extras_only_marks_it_manual():
    job = job_from_cronjob(cronjob(), "manual-2")
    assert job["metadata"]["annotations"] == {"a": "1", "cronjob.kubernetes.io/instantiate": "manual"}
    assert job["spec"] == {**cronjob()["spec"]["jobTemplate"]["spec"]}


@pytest.mark.parametrize(
    ("value", "name", "kwargs", "message"),
    [
        ({"kind": "Job"}, "n", {}, "the input must be a CronJob, got Job"),
        ("text", "n", {}, "the input must be a CronJob, got str"),
        ({"kind": "CronJob", "metadata": {"namespace": "ns"}, "spec": {}}, "n", {}, "lacks 'jobTemplate'"),
        (None, "n", {}, "the input must be a CronJob"),
        ("cronjob", "", {}, "name must be a non-empty string"),
        ("cronjob", 3, {}, "name must be a non-empty string"),
        ("cronjob", "n", {"env": ["A=1"]}, "env must be a dict with string keys, got list"),
        ("cronjob", "n", {"labels": "a=b"}, "labels must be a dict with string keys, got str"),
        ("no-containers", "n", {}, "has no containers"),
    ],
)
def test_job_from_cronjob_rejects_bad_input(value, name, kwargs, message):
    if value == "cronjob":
        value = cronjob()
    elif value == "no-containers":
        value = cronjob()
        value["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"] = []
    with pytest.raises(AnsibleFilterError, match=message):
        job_from_cronjob(value, name, **kwargs)


@pytest.mark.parametrize(
    "schedule", ["0 2 * * *", "*/15 1-5 ? JAN-mar mon", "0,30 0-23/2 1-31 1-12 0-6", "@daily", "@Hourly"]
)
def test_cron_errors_accepts_what_the_controller_accepts(schedule):
    assert cron_errors(schedule, "mongodb_backup.schedule") == []


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("60 2 * * *", "mongodb_backup.schedule: minute 60 is out of range 0-59 in '60 2 * * *'"),
        ("0 24 * * *", "mongodb_backup.schedule: hour 24 is out of range 0-23 in '0 24 * * *'"),
        ("0 0 0 * *", "mongodb_backup.schedule: day of month 0 is out of range 1-31 in '0 0 0 * *'"),
        ("0 0 * 13 *", "mongodb_backup.schedule: month 13 is out of range 1-12 in '0 0 * 13 *'"),
        ("0 0 * * 7", "mongodb_backup.schedule: day of week 7 is out of range 0-6 in '0 0 * * 7'"),
        ("0 0 * FOO *", "mongodb_backup.schedule: month 'FOO' is neither a number nor one of JAN,"),
        ("5-1 * * * *", "mongodb_backup.schedule: minute range 5-1 ends before it starts"),
        ("*/0 * * * *", "mongodb_backup.schedule: minute '*/0' has a step of 0"),
        ("? * * * *", "mongodb_backup.schedule: minute '?' is only for the day of month or week"),
        ("1;2 * * * *", "mongodb_backup.schedule: minute '1;2' is not a value, a range or a step"),
        ("every day at 2", "mongodb_backup.schedule: 'every day at 2' is neither five cron fields"),
        (2, "mongodb_backup.schedule: must be a string"),
    ],
)
def test_cron_errors_refuses_naming_the_variable(schedule, message):
    errors = cron_errors(schedule, "mongodb_backup.schedule")
    assert len(errors) == 1 and errors[0].startswith(message), errors
