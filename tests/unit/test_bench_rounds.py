"""The anchors mode of `make bench` (tools/bench/__main__.py): what a round leaves for the next."""

from tools.bench.__main__ import round_namespaces


def test_a_round_cleans_its_own_namespaces_only():
    listed = [
        "namespace/default",
        "namespace/bench-site-1",
        "namespace/bench-helm-1",
        "namespace/bench-site-11",
        "namespace/bench-naive-2",
        "namespace/kube-system",
    ]
    assert round_namespaces(listed, 1) == ["namespace/bench-site-1", "namespace/bench-helm-1"]
    assert round_namespaces(listed, 3) == []
