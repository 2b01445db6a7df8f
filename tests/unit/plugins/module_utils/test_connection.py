# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lost-API message every module gives: found through urllib3's retry error as the kubernetes client raises it."""

from __future__ import annotations

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.connection import (
    fail_if_unreachable,
    unreachable,
    unreachable_message,
)
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError


def refused():
    pool = HTTPSConnectionPool("127.0.0.1", 6443)
    cause = NewConnectionError(pool, "Failed to establish a new connection: [Errno 111] Connection refused")
    return MaxRetryError(pool, "/api", cause)


def test_a_refused_connection_is_found_with_its_server_through_a_wrapping_exception():
    wrapped = RuntimeError("discovery failed")
    wrapped.__cause__ = refused()
    cause, server = unreachable(wrapped)
    assert isinstance(cause, NewConnectionError)
    assert server == "https://127.0.0.1:6443"


def test_other_failures_are_not_a_lost_api():
    assert unreachable(ValueError("a bad value")) is None


def test_the_message_names_cluster_server_component_and_that_a_rerun_continues():
    cause, server = unreachable(refused())
    message = unreachable_message("production", server, "core_engine", cause)
    assert message.startswith(
        "cannot reach the Kubernetes API of cluster production (https://127.0.0.1:6443) while working on core_engine: "
        "Failed to establish a new connection: [Errno 111] Connection refused."
    )
    assert "a rerun of the same command continues where this one stopped" in message


class Module:
    """What fail_if_unreachable uses of an AnsibleModule; a failure ends the module, as fail_json does."""

    def __init__(self):
        self.params = {"cluster": "production"}
        self.failed = None

    def fail_json(self, msg):
        self.failed = ("fail_json", msg)
        raise SystemExit(1)

    def fail_from_exception(self, exc):
        self.failed = ("fail_from_exception", exc)
        raise SystemExit(1)


class CoreError(Exception):
    pass


def test_fail_if_unreachable_fails_with_the_message_on_a_lost_api():
    module = Module()
    with pytest.raises(SystemExit):
        fail_if_unreachable(module, refused(), "the preflight", CoreError)
    kind, message = module.failed
    assert kind == "fail_json"
    assert message.startswith("cannot reach the Kubernetes API of cluster production (https://127.0.0.1:6443) while")


def test_fail_if_unreachable_leaves_kubernetes_core_errors_their_report_and_returns_on_others():
    module = Module()
    error = CoreError("bad kubeconfig")
    with pytest.raises(SystemExit):
        fail_if_unreachable(module, error, "the preflight", CoreError)
    assert module.failed == ("fail_from_exception", error)
    other = Module()
    fail_if_unreachable(other, ValueError("a bug"), "the preflight", CoreError)
    assert other.failed is None
