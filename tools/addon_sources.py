"""Before `make demo` starts anything: can the add-ons' charts and release files be had?

From the offline mirror that BOTCORE_ADDON_MIRROR names (what platform_addon_mirror reads in inventories/local), or
else from the upstream URLs of the roles' defaults. Prints what it found and exits 0, or says which setting to use and
exits 2.
"""

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MIRROR_LAYOUT = "charts/<chart>-<version>.tgz and <project>/<version>/<file> (gateway-api/v1.6.1/standard-install.yaml)"


def upstream_urls():
    """The chart repositories and release files the add-on roles read by default."""
    urls = set()
    for defaults in sorted(REPO.glob("roles/*/defaults/main.yml")):
        for name, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            if isinstance(value, str) and value.startswith("https://") and name.endswith(("_repo_url", "_src")):
                urls.add(value)
    return sorted(urls)


def unreachable(urls, timeout=5):
    """The URLs that cannot be read, with the reason, asking each for its headers only."""
    failures = []
    for url in urls:
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
        except urllib.error.HTTPError:
            continue  # the host answered: a repository's root may well be 404 or 403
        except (OSError, ValueError) as error:
            failures.append(f"{url} ({getattr(error, 'reason', error)})")
    return failures


def check(mirror):
    if mirror:
        charts = sorted(p.name for p in Path(mirror, "charts").glob("*.tgz"))
        if not charts:
            return 2, f"BOTCORE_ADDON_MIRROR={mirror} holds no charts/*.tgz; an offline mirror holds {MIRROR_LAYOUT}"
        return 0, f"add-on sources: the offline mirror {mirror} ({len(charts)} charts)"
    failures = unreachable(upstream_urls())
    if failures:
        return 2, (
            "the add-ons' upstream sources cannot be reached: "
            + "; ".join(failures)
            + f". Without internet set BOTCORE_ADDON_MIRROR to an offline mirror directory holding {MIRROR_LAYOUT}"
            " (make uses ../shared when it exists); nothing was started."
        )
    return 0, "add-on sources: the upstream repositories"


def main():
    code, message = check(os.environ.get("BOTCORE_ADDON_MIRROR", ""))
    print(f"make demo: {message}", file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
