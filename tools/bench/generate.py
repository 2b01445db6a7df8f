"""The anchors' inputs, generated from site.yml's render: the objects for a namespace, the naive playbook, the
one-task floor, the Helm chart and the empty play. Pure: text in, text out; nothing here runs a command."""

import yaml

# The namespace the render is made for; every anchor's copy replaces it with the anchor's own namespace. It names
# the Namespace object and appears in DNS names and selectors, so the text is replaced, not only metadata.namespace.
PLACEHOLDER = "bench-render"
# site.yml's own field manager (platform_field_manager's default): the anchors write as the collection does.
FIELD_MANAGER = "botcore-platform"
KUBECONFIG_VAR = "bench_kubeconfig"


class GenerateError(ValueError):
    pass


def for_namespace(files, namespace):
    """[(component, text)] of the render, in deploy order, for namespace; the placeholder must be in the render."""
    if not files:
        raise GenerateError("the render holds no component file")
    if not any(PLACEHOLDER in text for _component, text in files):
        raise GenerateError(f"the render was not made for namespace {PLACEHOLDER}: nothing to replace")
    return [(component, text.replace(PLACEHOLDER, namespace)) for component, text in files]


def objects(files):
    """Every object of [(component, text)], in order; each must have a kind and a metadata.name."""
    result = []
    for component, text in files:
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            if not doc.get("kind") or not (doc.get("metadata") or {}).get("name"):
                raise GenerateError(f"{component}: an object without kind or metadata.name: {str(doc)[:200]}")
            result.append(doc)
    if not result:
        raise GenerateError("the render holds no object")
    return result


def manifest(files):
    """One multi-document YAML of every object, in order (kubectl's input)."""
    return yaml.safe_dump_all(objects(files), sort_keys=False)


class _Unsafe(str):
    pass


class _PlaybookDumper(yaml.SafeDumper):
    pass


# Rendered objects hold Prometheus' and Helm's own {{ }} (alert descriptions): Ansible must send them verbatim.
_PlaybookDumper.add_representer(_Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


def _verbatim(value):
    if isinstance(value, dict):
        return {k: _verbatim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_verbatim(v) for v in value]
    if isinstance(value, str) and any(mark in value for mark in ("{{", "{%", "{#")):
        return _Unsafe(value)
    return value


def _k8s(definition):
    return {
        "definition": _verbatim(definition),
        "apply": True,
        "server_side_apply": {"field_manager": FIELD_MANAGER},
        "kubeconfig": f"{{{{ {KUBECONFIG_VAR} }}}}",
    }


def _play(name, tasks):
    play = {
        "name": name,
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            KUBECONFIG_VAR: "{{ lookup('ansible.builtin.env', 'KUBECONFIG') }}",
        },
        "tasks": tasks,
    }
    return yaml.dump([play], Dumper=_PlaybookDumper, sort_keys=False, width=160)


def _title(obj):
    namespace = obj["metadata"].get("namespace")
    return f"{obj['kind']} {namespace + '/' if namespace else ''}{obj['metadata']['name']}"


def naive_playbook(files):
    """The naive playbook: one kubernetes.core.k8s task per object, server-side, in deploy order."""
    tasks = [{"name": f"Apply {_title(obj)}", "kubernetes.core.k8s": _k8s(obj)} for obj in objects(files)]
    return _play("Naive: one kubernetes.core.k8s task per object", tasks)


def floor_playbook(files):
    """The one-task floor: one kubernetes.core.k8s task applying every object (one client, one discovery)."""
    everything = objects(files)
    task = {"name": f"Apply all {len(everything)} objects", "kubernetes.core.k8s": _k8s(everything)}
    return _play("Floor: one kubernetes.core.k8s task", [task])


def empty_playbook():
    """Ansible's own start and stop: a play with no task."""
    return _play("Empty play", [])


def _helm_literal(text):
    """text as a Helm template that renders to itself: only '{{' opens an action in Go templates."""
    return text.replace("{{", '{{ "{{" }}')


def chart(files, name):
    """{relative path: text} of a chart whose templates/ are the rendered files, one per component, in order."""
    objects(files)  # the same checks as the other anchors' inputs
    result = {
        "Chart.yaml": yaml.safe_dump(
            {"apiVersion": "v2", "name": name, "version": "0.1.0", "description": "site.yml's render, as a chart"},
            sort_keys=False,
        )
    }
    for index, (component, text) in enumerate(files):
        result[f"templates/{index:02d}-{component}.yaml"] = _helm_literal(text)
    return result
