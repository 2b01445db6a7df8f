# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module says when the Kubernetes API cannot be reached: one message for every module of the collection, so
that whoever reads it learns which cluster, which component, and that a rerun is safe."""

from __future__ import annotations

try:
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError
    from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
except ImportError:
    # The kubernetes library brings urllib3; without it the modules fail on their requirements first.
    MaxRetryError = NewConnectionError = ProtocolError = Urllib3TimeoutError = ConnectionError

_UNREACHABLE = (MaxRetryError, NewConnectionError, ProtocolError, Urllib3TimeoutError, ConnectionError, TimeoutError)


def _chain(exc):
    """``exc``, then what caused it (a MaxRetryError's reason, an exception's cause or context), outermost first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.reason if isinstance(exc, MaxRetryError) else exc.__cause__ or exc.__context__


def unreachable(exc):
    """(innermost connection failure, server URL it was for) when ``exc`` is a lost API, else None.

    The server comes from urllib3's connection pool, as the client may fail before it exists (its discovery)."""
    failures = [item for item in _chain(exc) if isinstance(item, _UNREACHABLE)]
    if not failures:
        return None
    pools = [getattr(item, "pool", None) for item in failures if isinstance(item, MaxRetryError)]
    pool = next((item for item in pools if item is not None), None)
    server = f"{pool.scheme}://{pool.host}:{pool.port}" if pool is not None else None
    return failures[-1], server


def unreachable_message(cluster, server, component, cause):
    """The message of a run that lost the API: the cluster (inventory host and server URL), the component, and that a
    rerun of the same command continues where this one stopped."""
    reason = str(cause).split(": ", 1)[-1] if cause is not None else "no answer"
    return (
        f"cannot reach the Kubernetes API of cluster {cluster or 'unknown'} ({server or 'unknown server'}) "
        f"while working on {component}: {reason}. Nothing is lost: what was written before stays, and a rerun of the "
        "same command continues where this one stopped once the API answers."
    )


# The option of plugins/doc_fragments/cluster.py.
CLUSTER_ARG_SPEC = {"cluster": {"type": "str"}}


def fail_if_unreachable(module, exc, component, core_exception=()):
    """Fail ``module`` with the lost-API message when ``exc`` is one; a kubernetes.core error (``core_exception``)
    keeps its own report. Returns only when ``exc`` is neither: the caller re-raises it."""
    lost = unreachable(exc)
    if lost is not None:
        module.fail_json(msg=unreachable_message(module.params.get("cluster"), lost[1], component, lost[0]))
    if core_exception and isinstance(exc, core_exception):
        module.fail_from_exception(exc)
