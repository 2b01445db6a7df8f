"""The backup pods' script (roles/mongodb/files/backup.sh), run with stand-ins for mongodump and mongorestore.

The stand-ins record their arguments and the config file the script hands them, so the tests see what the real
tools would get: the URI with percent-encoded credentials in a private file, never on the command line; the archive
written under a hidden name, then renamed; retention by count and by age; a restore that refuses a missing archive.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "mongodb" / "files" / "backup.sh"
USER, PASSWORD = "dba user", "p@ss:w/rd'x %"
# What the stand-ins do: record the command line and the config file, and write an archive.
STAND_IN = """#!/bin/bash
printf '%s\\n' "$0" "$@" >> "$RECORD/args"
for arg; do
  case $arg in
    --config=*) stat -c %a "${arg#--config=}" > "$RECORD/config-mode"; cat "${arg#--config=}" > "$RECORD/config" ;;
    --archive=*) [[ $(basename "$0") == mongodump ]] && echo dump > "${arg#--archive=}" ;;
  esac
done
exit "${FAIL:-0}"
"""


@pytest.fixture
def setup(tmp_path):
    bin_dir, record, backups, credentials = (tmp_path / name for name in ("bin", "record", "backups", "credentials"))
    for directory in (bin_dir, record, backups, credentials):
        directory.mkdir()
    for tool in ("mongodump", "mongorestore"):
        (bin_dir / tool).write_text(STAND_IN)
        (bin_dir / tool).chmod(0o755)
    (credentials / "root-username").write_text(USER)
    (credentials / "root-password").write_text(PASSWORD)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD": str(record),
        "TMPDIR": str(tmp_path),
        "MONGODB_MEMBERS": "m-0.m:27017,m-1.m:27017",
        "MONGODB_REPLICA_SET": "rs0",
        "MONGODB_READ_PREFERENCE": "secondary",
        "MONGODB_CREDENTIALS_DIR": str(credentials),
        "MONGODB_BACKUP_DIR": str(backups),
        "MONGODB_RETENTION_COUNT": "3",
        "MONGODB_RETENTION_DAYS": "2",
    }

    def run(mode, **extra):
        return subprocess.run(
            ["bash", "-c", SCRIPT.read_text(), "mongodb-" + mode, mode],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    return run, record, backups


def test_backup_writes_the_archive_with_credentials_in_a_private_file(setup):
    run, record, backups = setup
    result = run("backup", MONGODB_ARCHIVE="mongodb-manual.archive.gz")
    assert result.returncode == 0, result.stderr
    assert "archive: mongodb-manual.archive.gz" in result.stdout
    assert sorted(p.name for p in backups.iterdir()) == ["mongodb-manual.archive.gz"]
    args = (record / "args").read_text()
    assert "dba" not in args and "p@ss" not in args
    assert "--gzip" in args and f"--archive={backups}/.mongodb-manual.archive.gz.partial" in args
    assert (record / "config").read_text() == (
        "uri: 'mongodb://dba%20user:p%40ss%3Aw%2Frd%27x%20%25@m-0.m:27017,m-1.m:27017/"
        "?authSource=admin&replicaSet=rs0&readPreference=secondary'\n"
    )
    assert (record / "config-mode").read_text().strip() == "600"


def test_backup_names_the_archive_after_the_time_by_default(setup):
    run, backups = setup[0], setup[2]
    assert run("backup").returncode == 0
    (archive,) = backups.iterdir()
    assert archive.name.startswith("mongodb-") and archive.name.endswith("Z.archive.gz")


def test_backup_prunes_by_count_and_age(setup):
    run, backups = setup[0], setup[2]
    now = time.time()
    ages = {"a-1h": 1, "b-20h": 20, "c-30h": 30, "d-47h": 47, "e-49h": 49, "f-100h": 100}
    for name, hours in ages.items():
        path = backups / f"{name}.archive.gz"
        path.write_text("old")
        os.utime(path, (now - hours * 3600, now - hours * 3600))
    (backups / "notes.txt").write_text("not an archive")
    assert run("backup", MONGODB_ARCHIVE="new.archive.gz").returncode == 0
    # The 3 newest (count), all younger than 2 days (age); other files stay.
    assert sorted(p.name for p in backups.iterdir()) == [
        "a-1h.archive.gz",
        "b-20h.archive.gz",
        "new.archive.gz",
        "notes.txt",
    ]


def test_backup_without_limits_keeps_everything_and_a_failed_dump_leaves_nothing(setup):
    run, backups = setup[0], setup[2]
    for index in range(5):
        (backups / f"{index}.archive.gz").write_text("old")
    assert run("backup", MONGODB_RETENTION_COUNT="0", MONGODB_RETENTION_DAYS="0").returncode == 0
    assert len(list(backups.iterdir())) == 6
    failed = run("backup", MONGODB_ARCHIVE="failed.archive.gz", FAIL="1")
    assert failed.returncode == 1
    assert not [p.name for p in backups.iterdir() if "failed" in p.name]


def test_restore_runs_mongorestore_without_users(setup):
    run, record, backups = setup
    (backups / "mongodb-x.archive.gz").write_text("dump")
    result = run("restore", MONGODB_ARCHIVE="mongodb-x.archive.gz", MONGODB_RESTORE_DROP="true")
    assert result.returncode == 0, result.stderr
    args = (record / "args").read_text().splitlines()
    assert args[0].endswith("mongorestore")
    assert f"--archive={backups}/mongodb-x.archive.gz" in args and "--gzip" in args and "--drop" in args
    assert "--nsExclude=admin.*" in args and "--nsExclude=config.*" in args
    run("restore", MONGODB_ARCHIVE="mongodb-x.archive.gz", MONGODB_RESTORE_DROP="false")
    assert (record / "args").read_text().count("--drop") == 1
    assert "--dryRun" not in (record / "args").read_text()


def test_a_dry_run_restore_reads_the_archive_and_imports_nothing(setup):
    run, record, backups = setup
    (backups / "mongodb-x.archive.gz").write_text("dump")
    result = run(
        "restore", MONGODB_ARCHIVE="mongodb-x.archive.gz", MONGODB_RESTORE_DROP="true", MONGODB_RESTORE_DRY_RUN="true"
    )
    assert result.returncode == 0, result.stderr
    assert "dry run, nothing restored: mongodb-x.archive.gz" in result.stdout
    args = (record / "args").read_text().splitlines()
    assert "--dryRun" in args and f"--archive={backups}/mongodb-x.archive.gz" in args


def test_a_dry_run_refuses_a_missing_archive_as_the_restore_does(setup):
    run, record = setup[:2]
    result = run(
        "restore", MONGODB_ARCHIVE="missing.archive.gz", MONGODB_RESTORE_DROP="false", MONGODB_RESTORE_DRY_RUN="true"
    )
    assert result.returncode == 1 and "no archive missing.archive.gz on the backups volume" in result.stderr
    assert not (record / "args").exists()


@pytest.mark.parametrize(
    ("mode", "archive", "message"),
    [
        ("restore", "missing.archive.gz", "no archive missing.archive.gz on the backups volume"),
        ("restore", "../etc/passwd", "is not a plain file name"),
        ("backup", ".hidden", "is not a plain file name"),
        ("verify", "x.archive.gz", "unknown mode 'verify'"),
    ],
)
def test_bad_requests_fail_without_running_a_tool(setup, mode, archive, message):
    run, record = setup[:2]
    result = run(mode, MONGODB_ARCHIVE=archive, MONGODB_RESTORE_DROP="false")
    assert result.returncode != 0 and message in result.stderr
    assert not (record / "args").exists()
