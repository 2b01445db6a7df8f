# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.botcore.platform`` importable when pytest runs straight from a git checkout."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def _collection_importable():
    try:
        return importlib.util.find_spec("ansible_collections.botcore.platform") is not None
    except ModuleNotFoundError:
        return False


def _add_collection_path():
    """Put a directory holding ``ansible_collections/botcore/platform`` on sys.path; return it if it is temporary."""
    if COLLECTION_ROOT.parent.name == "botcore" and COLLECTION_ROOT.parents[1].name == "ansible_collections":
        # Already laid out like an installed collection (ansible-test copies it that way): use it in place.
        sys.path.insert(0, str(COLLECTION_ROOT.parents[2]))
        return None
    workdir = tempfile.TemporaryDirectory(prefix="botcore-platform-units-")
    namespace = Path(workdir.name, "ansible_collections", "botcore")
    namespace.mkdir(parents=True)
    namespace.joinpath("platform").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    sys.path.insert(0, workdir.name)
    return workdir


# Runs at conftest import, before any test module imports the collection. The TemporaryDirectory object is
# kept alive for the session and removes the directory (the symlink, never its target) at interpreter exit.
_WORKDIR = None if _collection_importable() else _add_collection_path()


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """An ANSIBLE_COLLECTIONS_PATH in which this checkout is botcore.platform, for tests that run ansible-playbook."""
    root = tmp_path_factory.mktemp("collections")
    root.joinpath("ansible_collections", "botcore").mkdir(parents=True)
    root.joinpath("ansible_collections", "botcore", "platform").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return root
