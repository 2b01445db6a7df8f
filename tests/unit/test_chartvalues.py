"""tools/chartvalues.py: each rule by which a chart knows a value path, on small charts made up here."""

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from tools.chartvalues import (
    MIRROR_ENV,
    ChartNotFound,
    default_mirror,
    find_chart,
    read_chart,
    template_reads,
    value_paths,
)


def make_chart(root: Path, name="demo", values=None, templates=None, schema=None, dependencies=None, files=None):
    root.mkdir(parents=True)
    meta = {"apiVersion": "v2", "name": name, "version": "1.0.0"}
    if dependencies:
        meta["dependencies"] = dependencies
    (root / "Chart.yaml").write_text(yaml.safe_dump(meta))
    (root / "values.yaml").write_text(yaml.safe_dump(values or {}))
    if schema is not None:
        (root / "values.schema.json").write_text(json.dumps(schema))
    for path, text in {**{f"templates/{k}": v for k, v in (templates or {}).items()}, **(files or {})}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def known(chart, path):
    return chart.knows(tuple(path.split(".")))


def reads(text):
    return {".".join(path) for path in template_reads(text)[0]}


# values.yaml


def test_values_yaml_declares_a_path(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", values={"image": {"repository": "x", "tag": ""}}))
    assert known(chart, "image.repository")
    assert not known(chart, "image.registry")
    assert not known(chart, "repository")


def test_an_empty_map_default_accepts_any_sub_key(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", values={"podLabels": {}, "image": {"tag": ""}}))
    assert known(chart, "podLabels.team")
    assert known(chart, "podLabels.a.b")
    assert not known(chart, "image.tag.extra")  # a scalar takes no sub-key


def test_an_empty_values_file_is_no_free_form_map(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", values={}))
    assert not known(chart, "anything")


def test_istio_internal_defaults_count_as_the_top_level(tmp_path):
    values = {"_internal_defaults_do_not_set": {"global": {"hub": "", "istioNamespace": "istio-system"}}}
    chart = read_chart(make_chart(tmp_path / "c", values=values))
    assert known(chart, "global.hub")
    assert not known(chart, "global.tag")
    assert not known(chart, "_internal_defaults_do_not_set.global.hub")


# values.schema.json

SCHEMA = {
    "$ref": "#/$defs/values",
    "$defs": {
        "values": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "webhook": {"$ref": "#/$defs/webhook"},
                "config": {"type": "object", "default": {}},
                "closed": {"type": "object", "additionalProperties": False},
                "open": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True},
                "typed": {"type": "object", "properties": {"a": {}}, "additionalProperties": {"type": "string"}},
                "nullable": {"type": ["object", "null"]},
                "list": {"type": ["array", "null"]},
                "name": {"type": "string"},
            },
        },
        "webhook": {"type": "object", "additionalProperties": False, "properties": {"port": {"type": "integer"}}},
    },
}


def test_the_schema_declares_a_path_through_refs(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", schema=SCHEMA))
    assert known(chart, "webhook.port")
    assert not known(chart, "webhook.host")
    assert not known(chart, "nothere")


def test_a_free_form_schema_object_accepts_any_sub_key(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", schema=SCHEMA))
    assert known(chart, "config.enableGatewayAPI")
    assert known(chart, "open.anything")
    assert known(chart, "typed.anything")
    assert known(chart, "nullable.anything")
    assert not known(chart, "closed.anything")
    assert not known(chart, "name.sub")  # a string takes no sub-key
    assert not known(chart, "list.sub")


# templates


def test_templates_read_values_paths():
    text = """
    {{ .Values.a.b }} {{- $.Values.c.d -}} {{ ($.Values).profile }} {{ (.Values.global).platform }} {{ $root.Values.r }}
    {{ index .Values "e" "f" }} {{ index $.Values.g "h" }} {{/* .Values.commented */}}
    {{ printf "%s" ".Values.quoted" }} {{ .Release.Name }} {{ .Subcharts.x.Values.y }}
    """
    assert reads(text) == {"a.b", "c.d", "profile", "global", "global.platform", "r", "e.f", "g.h", "g"}


def used_whole(text):
    return {".".join(path) for path in template_reads(text)[1]}


def test_with_blocks_and_variables_read_relative_paths():
    text = """
    {{- with .Values.controller }}{{ .image.tag }}{{ with .service }}{{ .port }}{{ end }}{{ .name }}
    {{- else }}{{ .ignored }}{{ end }}
    {{- $config := .Values.config }}{{ $config.apiVersion }}{{ with .Values.dot }}{{ $d := . }}{{ end }}{{ $d.x }}
    {{- range .Values.items }}{{ .element }}{{ end }}
    {{- define "helper" }}{{ .passed }}{{ end }}
    {{- if .Values.on }}{{ .top }}{{ end }}
    """
    assert reads(text) == {
        "controller",
        "controller.image.tag",
        "controller.service",
        "controller.service.port",
        "controller.name",
        "config",
        "config.apiVersion",
        "dot",
        "dot.x",
        "items",
        "on",
    }


def test_a_template_read_makes_a_path_known(tmp_path):
    templates = {"deploy.yaml": "{{ .Values.replicas }}{{ with .Values.image }}{{ .tag }}{{ end }}"}
    chart = read_chart(make_chart(tmp_path / "c", templates=templates))
    assert known(chart, "replicas")
    assert known(chart, "image.tag")
    assert not known(chart, "image.repository")


def test_chart_files_count_as_templates_but_not_other_files(tmp_path):
    files = {"files/injection.yaml": "{{ .Values.proxy.image }}", "ci/test.yaml": "{{ .Values.ci.only }}"}
    chart = read_chart(make_chart(tmp_path / "c", files=files))
    assert known(chart, "proxy.image")
    assert not known(chart, "ci.only")


def test_paths_rendered_are_used_whole_paths_tested_or_handed_on_are_not():
    text = """
    {{ toYaml .Values.a }}{{ $b := .Values.b }}{{ $b | toJson }}{{ range .Values.c }}{{ end }}
    {{ with .Values.d }}{{ toYaml . }}{{ end }}{{ $m := mergeOverwrite $x .Values.m }}{{ tpl (toYaml $m) $ }}
    {{ if .Values.e }}{{ else if .Values.f }}{{ end }}{{ with .Values.g }}{{ .h | toYaml }}{{ end }}
    {{ include "helper" .Values.i }}{{ with (merge .Values.j .Values.k) }}{{ .tag }}{{ end }}
    """
    assert used_whole(text) == {"a", "b", "c", "d", "m", "g.h"}
    assert reads(text) == {"a", "b", "c", "d", "m", "e", "f", "g", "g.h", "i", "j", "k"}


def test_code_under_if_false_reads_nothing():
    text = (
        "{{ if false }}{{ toYaml .Values.dead }}{{ if .Values.deeper }}{{ end }}{{ else }}{{ .Values.live }}{{ end }}"
    )
    assert reads(text) == {"live"}


def test_a_parent_used_whole_accepts_sub_keys_unless_a_scalar_or_list(tmp_path):
    values = {"unset": None, "empty": {}, "filled": {"a": 1}, "scalar": "x", "list": []}
    templates = {"t.yaml": "".join(f"{{{{ toYaml .Values.{key} }}}}" for key in [*values, "absent"])}
    templates["tested.yaml"] = '{{ if .Values.tested }}{{ .Values.tested.on }}{{ include "x" .Values.handed }}{{ end }}'
    chart = read_chart(make_chart(tmp_path / "c", values={**values, "handed": {"a": 1}}, templates=templates))
    assert known(chart, "unset.anything")
    assert known(chart, "absent.anything")
    assert known(chart, "filled.anything")
    assert not known(chart, "scalar.anything")
    assert not known(chart, "list.anything")
    assert known(chart, "tested.on")
    assert not known(chart, "tested.off")  # tested, not rendered whole
    assert not known(chart, "handed.b")  # handed to a named template, which may read only some keys


def test_a_parent_used_whole_with_schema_properties_does_not_accept_sub_keys(tmp_path):
    templates = {"t.yaml": "{{ toYaml .Values.webhook }}"}
    chart = read_chart(make_chart(tmp_path / "c", schema=SCHEMA, templates=templates))
    assert not known(chart, "webhook.host")


def test_a_key_merged_into_the_top_level_stands_for_it(tmp_path):
    templates = {"zzy.yaml": '{{- $_ := mustMergeOverwrite $.Values (index $.Values "pilot") }}'}
    chart = read_chart(make_chart(tmp_path / "c", values={"cni": {"enabled": False}}, templates=templates))
    assert known(chart, "pilot.cni.enabled")
    assert not known(chart, "pilot.cni.provider")
    assert not known(chart, "pilot.other")  # the merge is no read of pilot as a whole


# Chart.yaml and subcharts


def test_dependency_conditions_and_tags_are_known(tmp_path):
    dependencies = [{"name": "sub", "version": "1.0.0", "condition": "sub.enabled,global.sub", "tags": ["extras"]}]
    chart = read_chart(make_chart(tmp_path / "c", dependencies=dependencies))
    assert known(chart, "sub.enabled")
    assert known(chart, "global.sub")
    assert known(chart, "tags.extras")
    assert not known(chart, "tags.other")


def test_values_under_a_subchart_are_checked_against_it(tmp_path):
    root = make_chart(tmp_path / "c", dependencies=[{"name": "grafana", "version": "1.0.0", "alias": "dash"}])
    make_chart(root / "charts" / "grafana", name="grafana", values={"admin": {"user": ""}, "global": {"reg": ""}})
    chart = read_chart(root)
    assert known(chart, "dash.admin.user")
    assert known(chart, "global.reg")  # global is shared with the subcharts
    assert not known(chart, "dash.admin.password")
    assert not known(chart, "grafana.admin.user")  # an aliased subchart answers to its alias only
    assert not known(chart, "global.other")


def test_a_packaged_chart_and_a_packaged_subchart(tmp_path):
    sub = make_chart(tmp_path / "sub", name="sub", values={"port": 80})
    root = make_chart(tmp_path / "c", values={"replicas": 1}, dependencies=[{"name": "sub", "version": "1.0.0"}])
    (root / "charts").mkdir()
    with tarfile.open(root / "charts" / "sub-1.0.0.tgz", "w:gz") as archive:
        archive.add(sub, arcname="sub")
    with tarfile.open(tmp_path / "c-1.0.0.tgz", "w:gz") as archive:
        archive.add(root, arcname="c")
    chart = read_chart(tmp_path / "c-1.0.0.tgz")
    assert (chart.name, chart.version) == ("demo", "1.0.0")
    assert known(chart, "replicas")
    assert known(chart, "sub.port")
    assert not known(chart, "sub.host")


def test_unknown_paths_lists_the_leaves_the_chart_does_not_know(tmp_path):
    chart = read_chart(make_chart(tmp_path / "c", values={"a": {"b": 1}, "list": []}))
    assert chart.unknown_paths({"a": {"b": 2, "c": 3}, "list": [{"x": 1}], "d": {}}) == ["a.c", "d"]


def test_value_paths_end_at_lists_scalars_and_empty_maps():
    assert value_paths({"a": {"b": [1], "c": {}, "d": {"e": None}}, "f": 1}) == [
        ("a", "b"),
        ("a", "c"),
        ("a", "d", "e"),
        ("f",),
    ]


# Where the chart comes from


def no_pull(*args):
    raise AssertionError(f"pulled {args}")


def failed_pull(*args):
    raise subprocess.CalledProcessError(1, ["helm", "pull"], stderr="Error: dial tcp: no route to host")


def test_the_mirror_holds_the_chart_as_name_version_tgz(tmp_path):
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "cert-manager-v1.21.1.tgz").write_bytes(b"")
    found = find_chart("cert-manager", "https://charts.jetstack.io", "v1.21.1", tmp_path, no_pull)
    assert found == tmp_path / "charts" / "cert-manager-v1.21.1.tgz"
    oci = find_chart("oci://quay.io/jetstack/charts/cert-manager", "", "v1.21.1", tmp_path, no_pull)
    assert oci == found


def test_a_local_chart_is_used_as_given(tmp_path):
    local = make_chart(tmp_path / "charts" / "mine")
    assert find_chart(str(local), "", "", None, no_pull) == local


def test_a_chart_missing_from_the_mirror_is_pulled(tmp_path):
    pulled = tmp_path / "base-1.30.3.tgz"
    found = find_chart("base", "https://example.invalid/charts", "1.30.3", tmp_path, lambda *args: pulled)
    assert found == pulled


def test_neither_mirror_nor_pull_fails_naming_the_mirror_variable(tmp_path):
    with pytest.raises(ChartNotFound, match=rf"charts has no base-1\.30\.3\.tgz.*no route to host.*{MIRROR_ENV}"):
        find_chart("base", "https://example.invalid/charts", "1.30.3", tmp_path, failed_pull)
    with pytest.raises(ChartNotFound, match=rf"{MIRROR_ENV} is not set"):
        find_chart("base", "https://example.invalid/charts", "1.30.3", None, failed_pull)


def test_the_default_mirror_is_the_variable_else_shared_beside_the_checkout(tmp_path, monkeypatch):
    repo = tmp_path / "checkout"
    repo.mkdir()
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    assert default_mirror(repo) is None
    (tmp_path / "shared").mkdir()
    assert default_mirror(repo) == tmp_path / "shared"
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "elsewhere"))
    assert default_mirror(repo) == tmp_path / "elsewhere"
