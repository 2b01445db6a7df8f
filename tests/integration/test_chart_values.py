"""Every value the roles pass to a Helm chart is one the real chart knows, and the real chart renders with it.

playbooks/prerequisites.yml in render mode writes each release's values, with its chart, repository, version and
namespace in comments, for inventories/production, staging and local, one ansible-playbook run each. Besides each
inventory's own hosts, a generated second inventory adds hosts to group `clusters` (the inventory's group_vars apply
to them) that enable every add-on and between them take every choice of the roles' enumerated settings (istio_profile,
platform_ingress_provider), dealt out over the three inventories. A host costs 5-10 s of CPU (about 20 module runs):
the full product of the choices, 14 hosts instead of 7, took 172 s instead of 100 s on a loaded 2-core machine.

Each release's chart is the real one: the offline mirror's charts/<chart>-<version>.tgz ($BOTCORE_ADDON_MIRROR, else
../shared beside the checkout), else `helm pull` from the repository; without either the test fails. `helm template`
must render it with the values, and tools.chartvalues must find every value path in it. The same values for the same
chart are checked once.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tools.chartvalues import ChartNotFound, default_mirror, find_chart, helm_pull, read_chart
from tools.localcluster.build import binary
from tools.localcluster.paths import versions

REPO = Path(__file__).resolve().parents[2]
INVENTORIES = ["production", "staging", "local"]
# APIs the platform's cluster serves that a chart may render objects for: the kube-prometheus-stack CRDs
# (ServiceMonitors) and the Gateway API.
API_VERSIONS = ["monitoring.coreos.com/v1", "gateway.networking.k8s.io/v1"]
# Istio's chart profiles that are no configuration profile: an overlay of an older release's defaults, or of a platform.
NOT_PROFILES = ("compatibility-version-", "platform-")
# The istio role's charts, as in its istio_<name>_chart_ref.
ISTIO_CHARTS = ("base", "istiod", "cni")


def choices(role, option):
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"][option]["choices"]


ADDONS = choices("platform", "platform_prerequisites")
PROFILES = choices("istio", "istio_profile")
PROVIDERS = choices("platform", "platform_ingress_provider")


# Every choice of the roles' enumerated settings, each on some host: the i-th host takes the i-th choice of each
# setting (cycling through the shorter list).
COMBINATIONS = [
    {"istio_profile": PROFILES[i % len(PROFILES)], "platform_ingress_provider": PROVIDERS[i % len(PROVIDERS)]}
    for i in range(max(len(PROFILES), len(PROVIDERS)))
]


def combinations(index):
    """The inventory's share of the combinations: every len(INVENTORIES)-th one, from the index-th on."""
    return COMBINATIONS[index :: len(INVENTORIES)]


def host_name(settings):
    return f"{settings['platform_ingress_provider']}-istio-{settings['istio_profile'] or 'no-profile'}"


def combination_inventory(index):
    hosts = {
        host_name(settings): {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "platform_prerequisites": ADDONS,
            # The ClusterIssuers need an ACME e-mail (inventories/local has none); it is no chart value.
            "cert_manager_acme_email": "platform-team@example.com",
            **settings,
        }
        for settings in combinations(index)
    }
    return {"clusters": {"hosts": hosts}}


def ansible_playbook():
    return str(Path(sys.executable).with_name("ansible-playbook"))


HEADER = re.compile(r"^# (chart_ref|chart_repo_url|chart_version): ?(.*)$", re.M)


def read_release(path, inventory):
    text = path.read_text()
    header = dict(HEADER.findall(text))
    return SimpleNamespace(
        inventory=inventory,
        host=path.parent.name,
        name=path.stem.removeprefix("helm-"),
        ref=header["chart_ref"].strip(),
        repo_url=header["chart_repo_url"].strip(),
        version=header["chart_version"].strip(),
        namespace=re.search(r"--namespace (\S+)", text).group(1),
        path=path,
        values=yaml.safe_load(text) or {},
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The releases of every inventory and combination, as rendered by prerequisites.yml; and the combinations."""
    work = tmp_path_factory.mktemp("chart-values")
    collections = work / "collections"
    collections.joinpath("ansible_collections", "botcore").mkdir(parents=True)
    collections.joinpath("ansible_collections", "botcore", "platform").symlink_to(REPO, target_is_directory=True)
    home = work / "home"  # no ~/.kube/config: render mode touches no cluster
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("K8S_AUTH_")}
    env.update(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_FORCE_COLOR="false")
    runs = {}
    for index, inventory in enumerate(INVENTORIES):
        extra = work / f"combinations-{inventory}.yml"
        extra.write_text(yaml.safe_dump(combination_inventory(index)))
        out, log = work / inventory, work / f"{inventory}.log"
        command = [ansible_playbook(), "playbooks/prerequisites.yml", "-e", f"platform_render_dir={out}"]
        command += ["-i", f"inventories/{inventory}", "-i", str(extra)]
        with log.open("w") as stream:  # all three at once: a run keeps its controller busy only part of the time
            runs[inventory] = (out, log, subprocess.Popen(command, cwd=REPO, env=env, stdout=stream, stderr=stream))
    releases = []
    for inventory, (out, log, process) in runs.items():
        assert process.wait() == 0, f"render of inventories/{inventory} failed:\n{log.read_text()[-6000:]}"
        releases += [read_release(path, inventory) for path in sorted(out.glob("*/helm-*.yaml"))]
    settings = {(inv, host_name(s)): s for index, inv in enumerate(INVENTORIES) for s in combinations(index)}
    return SimpleNamespace(releases=releases, combinations=settings)


@pytest.fixture(scope="module")
def helm():
    path = binary("helm")
    assert path.is_file(), f"{path} is missing: build it with `make cluster-build`"
    return str(path)


@pytest.fixture(scope="module")
def chart_of(helm, tmp_path_factory):
    """The real chart of a chart source: (archive, parsed chart) for (ref, repository URL, version)."""
    mirror = default_mirror(REPO)
    pulled = tmp_path_factory.mktemp("pulled")
    cache = {}

    def chart_of(ref, repo_url, version):
        if (ref, repo_url, version) not in cache:
            try:
                archive = find_chart(ref, repo_url, version, mirror, helm_pull(helm, pulled))
            except ChartNotFound as error:
                pytest.fail(str(error))
            cache[ref, repo_url, version] = (archive, read_chart(archive))
        return cache[ref, repo_url, version]

    return chart_of


def where(release, rendered):
    settings = rendered.combinations.get((release.inventory, release.host))
    described = f" ({', '.join(f'{k}={v!r}' for k, v in settings.items())})" if settings else ""
    return f"{release.inventory}/{release.host}{described}"


def grouped(releases, key):
    groups = {}
    for release in releases:
        groups.setdefault(key(release), []).append(release)
    return groups


def test_every_combination_renders_every_add_on(rendered):
    hosts = grouped(rendered.releases, lambda r: (r.inventory, r.host))
    missing = sorted(set(rendered.combinations) - set(hosts))
    assert not missing, f"combinations that rendered no release: {missing}"
    names = {key: sorted(r.name for r in group) for key, group in hosts.items() if key in rendered.combinations}
    assert len({tuple(n) for n in names.values()}) == 1, f"the combinations render different releases: {names}"
    assert len(next(iter(names.values()))) >= len(ADDONS), f"fewer releases than add-ons {ADDONS}: {names}"


def test_the_real_charts_render_with_the_values(rendered, chart_of, helm):
    kube_version = versions()["kubernetes"]
    same = grouped(
        rendered.releases,
        lambda r: (r.ref, r.repo_url, r.version, r.name, r.namespace, json.dumps(r.values, sort_keys=True)),
    )
    failures = []
    for key, group in same.items():
        first = group[0]
        archive, chart = chart_of(*key[:3])
        command = [helm, "template", first.name, str(archive), "--namespace", first.namespace]
        command += ["--values", str(first.path), "--kube-version", kube_version]
        command += [f"--api-versions={api}" for api in API_VERSIONS]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            error = " ".join(result.stderr.replace("Use --debug flag to render out invalid YAML", "").split())
            places = "; ".join(where(r, rendered) for r in group)
            failures.append(f"{first.name} ({chart.name} {chart.version}): {error}\n    in {places}")
    print(f"helm template: {len(same)} distinct values of {len(rendered.releases)} rendered releases")
    assert not failures, f"{len(failures)} of {len(same)} renders failed:\n" + "\n".join(failures)


def test_every_value_is_known_to_the_chart(rendered, chart_of):
    unknown = {}
    same = grouped(rendered.releases, lambda r: (r.ref, r.repo_url, r.version, json.dumps(r.values, sort_keys=True)))
    for key, group in same.items():
        chart = chart_of(*key[:3])[1]
        for path in chart.unknown_paths(group[0].values):
            unknown.setdefault((group[0].name, chart.name, chart.version, path), []).extend(group)
    lines = [
        f"{release} ({chart} {version}): {path}\n    in {'; '.join(where(r, rendered) for r in found)}"
        for (release, chart, version, path), found in sorted(unknown.items())
    ]
    print(f"value paths: {len(same)} distinct values of {len(rendered.releases)} rendered releases")
    assert not lines, f"{len(lines)} value paths the charts do not know:\n" + "\n".join(lines)


def test_istio_profile_choices_are_the_profiles_of_the_istio_charts(chart_of):
    """The choices are the pinned charts' profiles: their default (none) and their files/profile-<name>.yaml."""
    defaults = yaml.safe_load((REPO / "roles/istio/defaults/main.yml").read_text())
    source = (defaults["istio_chart_repo_url"], defaults["istio_chart_version"])
    istio = {name: chart_of(defaults[f"istio_{name}_chart_ref"], *source)[1] for name in ISTIO_CHARTS}
    offered = {
        name: {""}  # the charts' own default: no profile
        | {
            match.group(1)
            for path in chart.files
            if (match := re.fullmatch(r"files/profile-(.+)\.yaml", path))
            and not match.group(1).startswith(NOT_PROFILES)
        }
        for name, chart in istio.items()
    }
    assert len({frozenset(p) for p in offered.values()}) == 1, f"the Istio charts differ in their profiles: {offered}"
    profiles = offered["base"]
    assert set(PROFILES) == profiles, (
        f"istio_profile's choices {PROFILES} must be the Istio {istio['base'].version} charts' profiles "
        f"{sorted(profiles)}: not theirs {sorted(set(PROFILES) - profiles)}, missing {sorted(profiles - set(PROFILES))}"
    )
