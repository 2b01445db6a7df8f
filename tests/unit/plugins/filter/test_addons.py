# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.addons import (
    FilterModule,
    chart_source,
    chart_source_errors,
    gateway_api_errors,
    helm_post_renderer,
    helm_post_renderer_errors,
    release_file_source,
)

GATEWAY_API_URL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"


def crd(group="gateway.networking.k8s.io", name="gateways.gateway.networking.k8s.io"):
    return {"kind": "CustomResourceDefinition", "metadata": {"name": name}, "spec": {"group": group}}


def policy(kind="ValidatingAdmissionPolicy", name="safe-upgrades.gateway.networking.k8s.io"):
    return {"kind": kind, "metadata": {"name": name}}


def test_chart_source_without_a_mirror_is_upstream():
    assert chart_source("cert-manager", "https://charts.jetstack.io", "v1.21.1") == {
        "chart_ref": "cert-manager",
        "chart_repo_url": "https://charts.jetstack.io",
        "chart_version": "v1.21.1",
    }


def test_chart_source_with_a_mirror_is_the_pulled_archive():
    assert chart_source("cert-manager", "https://charts.jetstack.io", "v1.21.1", "/m") == {
        "chart_ref": "/m/charts/cert-manager-v1.21.1.tgz",
        "chart_repo_url": "",
        "chart_version": "v1.21.1",
    }
    assert (
        chart_source("oci://registry.example/charts/base", "", "1.30.3", "/m")["chart_ref"]
        == "/m/charts/base-1.30.3.tgz"
    )


def test_chart_source_keeps_a_local_chart_even_with_a_mirror():
    assert chart_source("/charts/base", "", "", "/m")["chart_ref"] == "/charts/base"


def test_chart_source_errors_accepts_an_archive_the_mirror_holds(tmp_path):
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "base-1.30.3.tgz").write_bytes(b"")
    assert chart_source_errors("base", "https://repo", "1.30.3", str(tmp_path), "istio_base_chart_ref") == []


def test_chart_source_errors_names_the_mirror_when_it_lacks_the_archive(tmp_path):
    [error] = chart_source_errors("base", "https://repo", "1.30.4", str(tmp_path), "istio_base_chart_ref")
    assert error.startswith(f"platform_addon_mirror: {tmp_path} has no {tmp_path}/charts/base-1.30.4.tgz")
    assert "istio_base_chart_ref" in error


def test_chart_source_errors_needs_a_pinned_version_and_a_chart():
    assert chart_source_errors("base", "https://repo", "", "", "istio_base_chart_ref") == [
        "istio_base_chart_ref: a chart from a repository or OCI registry needs its version pinned"
    ]
    assert chart_source_errors("", "https://repo", "1", "", "istio_base_chart_ref") == [
        "istio_base_chart_ref: must name a chart"
    ]


def test_chart_source_errors_on_a_local_chart_that_does_not_exist(tmp_path):
    assert chart_source_errors(str(tmp_path), "", "", "", "x_chart_ref") == []
    [error] = chart_source_errors(str(tmp_path / "nope"), "", "", "", "x_chart_ref")
    assert error.startswith("x_chart_ref: ")


def test_release_file_source_maps_a_github_release_asset_into_the_mirror():
    assert release_file_source(GATEWAY_API_URL, "/m") == "/m/gateway-api/v1.6.1/standard-install.yaml"
    assert release_file_source(GATEWAY_API_URL) == GATEWAY_API_URL
    assert release_file_source("/local/file.yaml", "/m") == "/local/file.yaml"


def test_helm_post_renderer_resolves_a_shipped_name():
    path = helm_post_renderer("strip-webhooks")
    assert path.endswith("/roles/helm_release/files/strip-webhooks")
    assert helm_post_renderer_errors("strip-webhooks", "platform_helm_post_renderer") == []
    assert helm_post_renderer("/usr/local/bin/render") == "/usr/local/bin/render"
    assert helm_post_renderer("") == ""


def test_helm_post_renderer_errors_names_the_variable(tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    [error] = helm_post_renderer_errors(str(script), "platform_helm_post_renderer")
    assert error.startswith(f"platform_helm_post_renderer: {script} is not an executable file")
    assert "strip-webhooks" in error
    assert helm_post_renderer_errors("no-such-renderer", "platform_helm_post_renderer") != []


def test_gateway_api_errors_accepts_the_release_files_contents():
    objects = [
        crd(),
        crd(name="httproutes.gateway.networking.k8s.io"),
        policy(),
        policy("ValidatingAdmissionPolicyBinding"),
    ]
    assert gateway_api_errors(objects, "istio_gateway_api_crds_src") == []


def test_gateway_api_errors_refuses_anything_else():
    [error] = gateway_api_errors([crd(), crd("example.com", "widgets.example.com"), policy(name="other")], "src")
    assert "also holds CustomResourceDefinition widgets.example.com, ValidatingAdmissionPolicy other" in error
    assert gateway_api_errors([], "src") == ["src: holds no Gateway API CustomResourceDefinition"]
    with pytest.raises(AnsibleFilterError):
        gateway_api_errors({"kind": "List"}, "src")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "chart_source",
        "chart_source_errors",
        "release_file_source",
        "helm_post_renderer",
        "helm_post_renderer_errors",
        "gateway_api_errors",
    }
