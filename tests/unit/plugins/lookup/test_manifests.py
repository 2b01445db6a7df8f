# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible_collections.botcore.platform.plugins.lookup.manifests import LookupModule


class NoDeepCopy(dict):
    """A task variable that must reach the templates without being deep-copied."""

    def __deepcopy__(self, memo):
        raise AssertionError("the task's variables were deep-copied")


@pytest.fixture
def render(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    templates.joinpath("service.yaml.j2").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ name }}\n"
        "{% if port %}\nspec:\n  ports: [{port: {{ port }}}]\n{% endif %}\n"
    )
    templates.joinpath("disabled.yaml.j2").write_text("{% if enabled %}\nkind: ConfigMap\n{% endif %}\n")
    templates.joinpath("list.yaml.j2").write_text("- {kind: Gateway}\n- {kind: HTTPRoute}\n")

    def run(*terms, **kwargs):
        loader = DataLoader()
        variables = {
            "ansible_search_path": [str(tmp_path)],
            "name": "engine",
            "port": 8080,
            "enabled": False,
            "big": NoDeepCopy(a=1),
        }
        lookup = LookupModule(loader=loader, templar=Templar(loader=loader, variables=variables))
        return lookup.run(list(terms), variables=variables, **kwargs)

    return run


def test_objects_in_order_without_empty_renders_lists_flattened(render):
    assert render("service.yaml.j2", "disabled.yaml.j2", "list.yaml.j2") == [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "engine"}, "spec": {"ports": [{"port": 8080}]}},
        {"kind": "Gateway"},
        {"kind": "HTTPRoute"},
    ]


def test_template_vars_take_precedence(render):
    assert render("service.yaml.j2", template_vars={"name": "dashboard", "port": 0}) == [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dashboard"}}
    ]


def test_missing_template_is_named(render):
    with pytest.raises(AnsibleError, match=r"the template nothere\.yaml\.j2 could not be found"):
        render("nothere.yaml.j2")


def test_unknown_option_is_named(render):
    with pytest.raises(AnsibleError, match="unknown options template_var; it takes template_vars"):
        render("service.yaml.j2", template_var={})
