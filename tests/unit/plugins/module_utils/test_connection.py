# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lost-API message every module gives: found through urllib3's retry error as the kubernetes client raises it."""

from __future__ import annotations

from ansible_collections.botcore.platform.plugins.module_utils.connection import unreachable, unreachable_message
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
