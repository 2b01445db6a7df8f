#!/usr/bin/env bash
# Runs `ansible-test <command>` on a copy of this checkout laid out as ansible_collections/botcore/platform,
# the path ansible-test insists on. Offline: ansible-test's pip bootstrap script is downloaded from a host
# these machines cannot reach, so a stand-in that takes pip from ensurepip is put where it looks first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${BOTCORE_CACHE_DIR:-$HOME/.cache/botcore-platform}
root=$cache/ansible-test-$(echo "$repo" | sha256sum | cut -c1-8)
dest=$root/ansible_collections/botcore/platform

# The pip version ansible-test bootstraps into its virtual environments names the script it looks for.
pip_version=$(python - <<'PY'
import pathlib, re, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)
stub=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -f "$stub" ]; then
  mkdir -p "$(dirname "$stub")"
  cat > "$stub" <<'PY'
import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
fi

rm -rf "$dest" && mkdir -p "$dest"
# Only what git tracks or would track (and still exists): never build output, caches or ignored files.
(cd "$repo" && git ls-files -co --exclude-standard -z) | (cd "$repo" && python -c '
import os, shutil, sys
dest = sys.argv[1]
for path in filter(os.path.isfile, sys.stdin.read().split("\0")):
    os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
    shutil.copy2(path, os.path.join(dest, path))
' "$dest")
# Collections this one depends on (kubernetes.core's doc fragments, module_utils) come from the ansible package.
mkdir -p "$root/ansible_collections/kubernetes"
ln -sfn "$(python -c 'import ansible_collections.kubernetes.core as m; print(list(m.__path__)[0])')" \
  "$root/ansible_collections/kubernetes/core"
cd "$dest"
exec ansible-test "$@" --venv --python "$(python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
