"""Where the cluster keeps its cache and its state; everything lives outside the repository."""

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def cache_dir() -> Path:
    base = os.environ.get("BOTCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "botcore-platform"
    )
    return Path(base)


def state_dir() -> Path:
    base = os.environ.get("BOTCORE_CLUSTER_STATE") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "botcore-platform", "cluster"
    )
    return Path(base)


def versions() -> dict:
    return json.loads((HERE / "versions.json").read_text())


def crds_dir() -> Path:
    """The upstream CRDs the tests install; BOTCORE_CRDS_DIR points elsewhere (e.g. CRDs taken from the charts)."""
    return Path(os.environ.get("BOTCORE_CRDS_DIR") or REPO.parent / "shared" / "crds").resolve()
