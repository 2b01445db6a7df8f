# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render mode of site.yml (`make render`): no cluster, no production vault, and never a secret value in the output.

Every secret value variable of the secrets role gets a known sentinel as an extra var; the rendered manifests
(and the playbook's own output) must hold none of them, neither plain nor base64-encoded at any byte alignment.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HOST = "production-eu"
# Every variable of the secrets role that carries a secret value; the external keys are among them.
SECRET_VARS = [
    "secrets_inter_service_token",
    "secrets_rust_api_key",
    "secrets_python_api_key",
    "secrets_dashboard_session_secret",
    "secrets_binance_api_key",
    "secrets_binance_secret_key",
    "secrets_openai_api_key",
    "secrets_mongodb_root_password",
    "secrets_mongodb_app_password",
    "secrets_mongodb_keyfile",
    "secrets_grafana_admin_password",
]
# Letters and digits only: valid for every variable, the key file's base64 alphabet included.
SENTINELS = {var: f"SENTINEL{index}X{var.upper().replace('_', '')}" for index, var in enumerate(SECRET_VARS)}


def base64_forms(value):
    """The base64 text that encodes `value` wherever it sits in a longer string, one form per byte alignment.

    A value that starts k bytes into a 3-byte group is encoded with its first characters mixed with the bytes
    before it and its last ones with the bytes after it; the characters in between are the same in every string
    that holds the value at that alignment.
    """
    raw = value.encode()
    forms = []
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + raw).decode()
        start = (4 * k + 2) // 3  # skip the characters that mix in the k bytes before the value
        stop = 4 * ((k + len(raw)) // 3)  # drop the last, partial group that mixes in the bytes after it
        forms.append(encoded[start:stop])
    return forms


def ansible_playbook():
    beside = Path(sys.executable).with_name("ansible-playbook")
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


@pytest.fixture(scope="module")
def render(tmp_path_factory, collections_path):
    """Render inventories/production with every secret given, without a kubeconfig: the directory and the output."""
    work = tmp_path_factory.mktemp("render")
    home = work / "home"  # no ~/.kube/config: render mode must not need one
    home.mkdir()
    out = work / "manifests"
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("K8S_AUTH_")}
    env.update(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false")
    extra = [arg for var, value in SENTINELS.items() for arg in ("-e", f"{var}={value}")]
    result = subprocess.run(
        [ansible_playbook(), "site.yml", "-i", "inventories/production", "-e", f"platform_render_dir={out}", *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"render failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return SimpleNamespace(out=out, output=result.stdout + result.stderr)


def rendered_files(out):
    return sorted(path for path in out.rglob("*") if path.is_file())


# Production's Gateway front door leaves ingress-nginx out of the prerequisites; the other add-ons' Helm releases.
RELEASES = {
    "cert-manager": "cert_manager",
    "istio-base": "istio",
    "istio-cni": "istio",
    "istiod": "istio",
    "kube-prometheus-stack": "kube_prometheus_stack",
}


def test_render_writes_every_component(render):
    out = render.out
    components = {path.stem for path in rendered_files(out)}
    # Every platform role of site.yml writes its manifests to a file of its own; of the add-ons, which write a values
    # file per Helm release, only cert_manager has objects too (its ClusterIssuers).
    # The deploy play's apply runs take the platform's components from playbooks/vars/site_roles.yml.
    runs = yaml.safe_load((REPO / "playbooks/vars/site_roles.yml").read_text())["__site_platform_runs"]
    platform_roles = {component for run in runs for component in run}
    expected = platform_roles | {"cert_manager"} | {f"helm-{release}" for release in RELEASES}
    assert components == expected, f"components rendered: {sorted(components)}"
    assert {path.parent.name for path in rendered_files(out)} == {HOST}


@pytest.mark.parametrize("release", RELEASES)
def test_helm_values_file_names_the_pinned_chart(render, release):
    """A values file for `helm template --values`, whose comments name the chart of the role's defaults."""
    role = RELEASES[release]
    text = (render.out / HOST / f"helm-{release}.yaml").read_text()
    header = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# chart_"))
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())
    chart_ref = f"{role}_chart_ref" if role != "istio" else f"istio_{release.removeprefix('istio-')}_chart_ref"
    assert header == {
        "chart_ref": defaults[chart_ref],
        "chart_repo_url": defaults[f"{role}_chart_repo_url"],
        "chart_version": defaults[f"{role}_chart_version"],
    }
    assert f"--version {header['chart_version']} --namespace " in text
    assert isinstance(yaml.safe_load(text), dict), "not a values file"
    assert f"--values helm-{release}.yaml" in text


def test_helm_values_carry_the_computed_settings(render):
    values = {release: yaml.safe_load((render.out / HOST / f"helm-{release}.yaml").read_text()) for release in RELEASES}
    assert values["cert-manager"]["crds"] == {"enabled": True, "keep": True}
    # The Gateway's HTTP-01 solver needs cert-manager's Gateway API support, under its v1.21 key.
    assert values["cert-manager"]["config"]["gatewayAPI"] == {"enabled": True}
    assert "enableGatewayAPI" not in values["cert-manager"]["config"]
    # The charts' own default profile: none passed.
    assert not any("profile" in values[release] for release in ("istio-base", "istio-cni", "istiod"))
    assert values["istiod"]["cni"] == {"enabled": True}
    assert "pilot" not in values["istiod"]
    stack = values["kube-prometheus-stack"]
    assert stack["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    assert stack["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] is False


def test_gateway_front_door_replaces_the_ingresses(render):
    docs = [doc for doc in yaml.safe_load_all((render.out / HOST / "ingress.yaml").read_text()) if doc]
    kinds = sorted(f"{doc['kind']}/{doc['metadata']['name']}" for doc in docs)
    assert kinds == [
        "Certificate/botcore-tls",
        "Certificate/botcore-ws-tls",
        "Gateway/bot-core-gateway",
        "HTTPRoute/bot-core-api",
        "HTTPRoute/bot-core-dashboard",
        "HTTPRoute/bot-core-https-redirect",
        "HTTPRoute/bot-core-websocket",
        "Namespace/istio-ingress",
    ]
    issuers = yaml.safe_load_all((render.out / HOST / "cert_manager.yaml").read_text())
    solvers = [solver["http01"] for issuer in issuers for solver in issuer["spec"]["acme"]["solvers"]]
    assert [list(solver) for solver in solvers] == [["gatewayHTTPRoute"], ["gatewayHTTPRoute"]]


@pytest.mark.parametrize("var", SECRET_VARS)
def test_rendered_files_hold_no_secret_value(render, var):
    out = render.out
    needles = [SENTINELS[var], *base64_forms(SENTINELS[var])]
    leaks = [
        f"{path.relative_to(out)} holds {needle!r}"
        for path in rendered_files(out)
        for needle in needles
        if needle in path.read_text()
    ]
    assert not leaks, f"the value of {var} leaked: {leaks}"


def test_playbook_output_holds_no_secret_value(render):
    leaked = [var for var, value in SENTINELS.items() if any(n in render.output for n in [value, *base64_forms(value)])]
    assert not leaked, f"ansible-playbook printed the values of {leaked}"


def test_every_secret_is_redacted(render):
    out = render.out
    secrets = {}
    for path in rendered_files(out):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Secret":
                secrets[f"{path.relative_to(out)}:{doc['metadata']['name']}"] = doc
    # Five in the platform's namespace, and Grafana's admin Secret since production installs kube-prometheus-stack.
    assert len(secrets) == 6, f"expected the 6 Secrets of the secrets role, found {sorted(map(str, secrets))}"
    for path, secret in secrets.items():
        annotations = secret["metadata"].get("annotations") or {}
        assert annotations.get("botcore.io/redacted") == "true", f"{path}: annotations are {annotations}"
        values = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
        assert values, f"{path}: the Secret has no keys"
        clear = sorted(key for key, value in values.items() if value != "REDACTED")
        assert not clear, f"{path}: keys not redacted: {clear}"


def test_base64_forms_find_a_value_inside_a_longer_string():
    value = SENTINELS["secrets_mongodb_app_password"]
    for prefix in ("", "a", "ab", "mongodb://botuser:"):
        encoded = base64.b64encode(f"{prefix}{value}@mongodb-0:27017".encode()).decode()
        assert any(form in encoded for form in base64_forms(value)), f"not found with prefix {prefix!r}"
    assert not any(form in base64.b64encode(b"unrelated text, long enough").decode() for form in base64_forms(value))
