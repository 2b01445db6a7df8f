# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failure messages of botcore.platform.apply's rollout wait: the object, the reason and the rollback's outcome."""

from __future__ import annotations

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.apply import failure_message

REASON = "deployment rust-core-engine revision 5: 0 of 3 updated replicas ready after 12s; ProgressDeadlineExceeded"
BROKEN = {"revision": 5, "images": {"engine": "engine:2-broken", "init": "engine:2-broken"}}
GOOD = {"revision": 4, "images": {"engine": "engine:1"}}


def failure(last_good=None):
    return {"msg": REASON, "rollout": {"last_good": last_good, "history": [GOOD, BROKEN]}}


def rollback(to_last_good, failed=False):
    if failed:
        return {"failed": True, "to_last_good": to_last_good, "msg": "timed out"}
    return {"failed": False, "to_last_good": to_last_good, "from": BROKEN, "to": GOOD, "rollout": {"revision": 6}}


def test_a_rollback_to_the_last_good_revision_names_both_revisions_their_images_and_the_run():
    message = failure_message("core_engine", "Deployment", "rust-core-engine", False, failure(), rollback(True), True)
    assert message == (
        f"core_engine: Deployment rust-core-engine did not become Ready ({REASON}); rolled back from revision 5 "
        "(engine:2-broken) to revision 4 (engine:1), its last good revision, running as revision 6; this run did not "
        "change it"
    )


def test_a_rollback_to_the_previous_revision_says_so():
    message = failure_message("core_engine", "Deployment", "rust-core-engine", True, failure(), rollback(False), True)
    assert message.endswith(
        "to revision 4 (engine:1), its previous revision, running as revision 6; this run changed it"
    )


def test_a_failed_rollback_quotes_its_reason():
    message = failure_message("core_engine", "Deployment", "e", True, failure(), rollback(False, failed=True), True)
    assert message.endswith("; the rollback to its previous revision failed too: timed out; this run changed it")


@pytest.mark.parametrize(
    ("changed", "last_good", "enabled", "outcome"),
    [
        (True, None, False, "platform_rollback_on_failure is false"),
        (True, None, True, "it has no earlier revision"),
        (False, None, True, "this run did not change it and no last good revision is recorded on it"),
        (
            False,
            {"revision": None, "recorded_revision": 2},
            True,
            "this run did not change it and its last good revision 2 is no longer kept",
        ),
        (False, {"revision": 4, "recorded_revision": 4}, True, "it runs its last good revision 4 already"),
    ],
)
def test_a_workload_left_as_it_is_says_why(changed, last_good, enabled, outcome):
    message = failure_message("core_engine", "Deployment", "e", changed, failure(last_good), None, enabled)
    assert message == f"core_engine: Deployment e did not become Ready ({REASON}); left as it is: {outcome}"
