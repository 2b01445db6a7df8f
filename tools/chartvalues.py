"""Which of the values given to a Helm chart the chart knows (tests/integration/test_chart_values.py).

A value path (`a.b.c`, one per leaf of the values; a list is a leaf) is known to a chart when:
- values.yaml declares it, or declares one of its parents as an empty map `{}` (free-form: any sub-key);
  Istio's charts keep their defaults under `_internal_defaults_do_not_set`, which counts as the top level;
- values.schema.json declares it (`properties`, through `$ref`), or one of its parents is a free-form object (no
  `properties`, `additionalProperties` not false) or has `additionalProperties` true or a schema;
- the templates (and files/, which istiod's injector executes with the same values) read it: `.Values.a.b`,
  `$.Values.a.b`, `(.Values.a).b`, `index .Values "a" "b"`, `.b` inside `with .Values.a`, `$v.b` after
  `$v := .Values.a`; a parent they render whole (toYaml, tpl..., also through a variable or a merge) accepts any
  sub-key unless values.yaml makes it a scalar or list or the schema lists its properties (code under `if false`
  counts for nothing);
- it is a dependency's `condition` or `tags.<tag>` in Chart.yaml;
- under a subchart's alias (or name), the subchart knows the rest; `global.*` is known if any subchart knows it;
- under a key the templates merge into the top level (`mustMergeOverwrite $.Values (index $.Values "pilot")`, Istio's
  legacy prefixes), the rest is known at the top level.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ISTIO_DEFAULTS = "_internal_defaults_do_not_set"
MIRROR_ENV = "BOTCORE_ADDON_MIRROR"

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = rf"((?:\.{_IDENT})*)"
_ROOT = r"(?:\$\w*)?\.Values"  # .Values, $.Values, $root.Values
_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_VALUES_REF = re.compile(rf"(?<![\w.)\]]){_ROOT}{_PATH}")
_PAREN_REF = re.compile(rf"\(\s*{_ROOT}{_PATH}\s*\)((?:\.{_IDENT})+)")
_INDEX_REF = re.compile(rf'index\s+\(?\s*{_ROOT}{_PATH}\s*\)?((?:\s+"[^"]*")+)')
_DESCOPE = re.compile(rf'mustMergeOverwrite\s+{_ROOT}\s+\(\s*index\s+{_ROOT}\s+"({_IDENT})"\s*\)')
_ASSIGN = re.compile(r"^\$(\w+)\s*:?=\s*(.+)$", re.S)
_VAR_REF = re.compile(rf"\$(\w+)((?:\.{_IDENT})+)")
_DOT_REF = re.compile(rf"(?<![\w$.)\]])\.({_IDENT}(?:\.{_IDENT})*)")
_DOT = re.compile(r"(?<![\w$.)\]])\.(?![\w.])")  # `.` itself
_BARE_VAR = re.compile(r"\$(\w+)(?![\w.])")
_PASS_ON = re.compile(r"\b(?:toYaml|toJson|toPrettyJson|toRawJson|tpl)\b")
_MERGE = re.compile(r"\b(?:mustMerge|merge)(?:Overwrite)?\b")


def _split(path: str) -> tuple:
    return tuple(part for part in path.split(".") if part)


def _resolve(expr: str, ctx: tuple | None, variables: dict) -> tuple | None:
    """The values path an operand stands for (`.Values.a`, `.a` inside a with block, `$v.a`), else None."""
    expr = expr.split("|")[0].strip().strip("()").strip()
    if not expr:
        return None
    if match := re.fullmatch(rf"{_ROOT}{_PATH}", expr):
        return _split(match.group(1))
    if match := re.fullmatch(_INDEX_REF.pattern, expr):
        return _split(match.group(1)) + tuple(re.findall(r'"([^"]*)"', match.group(2)))
    if ctx is not None and (match := re.fullmatch(rf"\.|{_PATH}", expr)):
        return ctx + _split(match.group(1) or "")
    if (match := re.fullmatch(rf"\$(\w+){_PATH}", expr)) and match.group(1) in variables:
        return variables[match.group(1)] + _split(match.group(2))
    return None


def template_reads(text: str) -> tuple[set, set, set]:
    """The values paths a template reads, those of them it passes on whole, and the keys it merges into the top level.

    A path is passed on whole in an action that renders it (toYaml, toJson, tpl: `toYaml .Values.a`, `$v | toYaml`
    after `$v := .Values.a` or `$v := merge $x .Values.a`, `toYaml .` inside `with .Values.a`) or ranges over it.
    Actions under `if false` never run and read nothing.
    """
    reads, whole, aliases, variables, merged = set(), set(), set(), {}, {}
    ctx = None  # the values path `.` stands for; None at the top (where `.` is the root context) or unknown
    dead = False
    stack = []
    for raw in _ACTION.findall(text):
        action = _COMMENT.sub("", raw).strip()
        keyword, rest = _first_word(_STRING.sub('""', action))
        branch, expr = _first_word(rest)  # else if / else with
        found = set()
        if not dead:
            aliases.update(_DESCOPE.findall(action))
            found, passed = _action_reads(_DESCOPE.sub("", action), ctx, variables, merged)
            reads |= found
            if keyword == "range" or _PASS_ON.search(action):
                whole |= found | passed
        if keyword in ("if", "with", "range", "define", "block"):
            stack.append((keyword, ctx, dead))
            ctx = _enter(keyword, rest, ctx, variables)
            dead = dead or (keyword == "if" and rest == "false")
        elif keyword == "else" and stack:
            opener, outer, dead = stack[-1]
            ctx = _enter(branch, expr, outer, variables) if branch == "with" else (ctx if opener == "if" else outer)
        elif keyword == "end" and stack:
            ctx, dead = stack.pop()[1:]
        elif (match := _ASSIGN.match(action)) and not dead:
            name, path = match.group(1), _resolve(match.group(2), ctx, variables)
            variables.pop(name, None)
            merged.pop(name, None)
            if path is not None:
                variables[name] = path
            elif _MERGE.search(action):
                merged[name] = found
    reads.discard(())
    whole.discard(())
    return reads, whole, aliases


def _action_reads(action: str, ctx: tuple | None, variables: dict, merged: dict) -> tuple[set, set]:
    """The values paths an action reads, and those it names whole only through `.` or a bare `$v`."""
    bare = _STRING.sub('""', action)
    found = {_split(m) for m in _VALUES_REF.findall(bare)}
    found |= {_split(a + b) for a, b in _PAREN_REF.findall(bare)}
    found |= {_split(a) + tuple(re.findall(r'"([^"]*)"', b)) for a, b in _INDEX_REF.findall(action)}
    found |= {variables[name] + _split(rest) for name, rest in _VAR_REF.findall(bare) if name in variables}
    passed = {variables[name] for name in _BARE_VAR.findall(bare) if name in variables}
    passed |= {path for name in _BARE_VAR.findall(bare) for path in merged.get(name, ())}
    if ctx is not None:
        found |= {ctx + _split(m) for m in _DOT_REF.findall(bare)}
        if _DOT.search(bare):
            passed.add(ctx)
    return found, passed


def _first_word(text: str) -> tuple[str, str]:
    """The first word of an action, and the rest."""
    first, *rest = text.split(None, 1) or [""]
    return first, rest[0] if rest else ""


def _enter(keyword: str, expr: str, ctx: tuple | None, variables: dict) -> tuple | None:
    if keyword == "if":
        return ctx
    if keyword == "with":
        return _resolve(expr, ctx, variables)
    return None  # range (an element), define and block (whatever the caller passes)


@dataclass
class Chart:
    name: str
    version: str
    values: dict
    schema: dict | None
    reads: set
    whole: set
    aliases: set
    conditions: set
    subcharts: dict
    files: frozenset

    def knows(self, path: tuple) -> bool:
        head, rest = path[0], path[1:]
        return (
            path in self.conditions
            or self._declared(path)
            or self._in_schema(path)
            or self._read(path)
            or bool(rest and head in self.aliases and self.knows(rest))
            or bool(rest and head in self.subcharts and self.subcharts[head].knows(rest))
            or (head == "global" and any(sub.knows(path) for sub in self.subcharts.values()))
        )

    def unknown_paths(self, values: dict) -> list[str]:
        return [".".join(path) for path in value_paths(values) if not self.knows(path)]

    def _default(self, path: tuple):
        """values.yaml's value at path: (True, value) if declared, else (False, None)."""
        node = self.values
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return False, None
            node = node[key]
        return True, node

    def _declared(self, path: tuple) -> bool:
        return any(self._default(path[:n]) == (True, {}) for n in range(1, len(path))) or self._default(path)[0]

    def _in_schema(self, path: tuple) -> bool:
        if self.schema is None:
            return False
        node = self.schema
        for key in path:
            node = self._deref(node)
            properties = node.get("properties") or {}
            extra = node.get("additionalProperties")
            if key in properties:
                node = properties[key]
            elif properties:
                return extra is True or isinstance(extra, dict)
            else:
                kind = node.get("type", "object")
                return extra is not False and "object" in (kind if isinstance(kind, list) else [kind])
        return True

    def _deref(self, node: dict) -> dict:
        while "$ref" in node:
            target = self.schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _read(self, path: tuple) -> bool:
        if path in self.reads:
            return True
        for n in range(1, len(path)):
            default = self._default(path[:n])[1]
            open_map = default is None or isinstance(default, dict)
            if path[:n] in self.whole and open_map and not self._has_properties(path[:n]):
                return True
        return False

    def _has_properties(self, path: tuple) -> bool:
        """Whether the schema declares the keys of the map at path."""
        if self.schema is None:
            return False
        node = self.schema
        for key in path:
            node = (self._deref(node).get("properties") or {}).get(key)
            if node is None:
                return False
        return bool(self._deref(node).get("properties"))


def value_paths(values: dict, prefix: tuple = ()) -> list[tuple]:
    """Every leaf path of a values tree; a list, a scalar or an empty map is a leaf."""
    paths = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            paths.extend(value_paths(value, (*prefix, str(key))))
        else:
            paths.append((*prefix, str(key)))
    return paths


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _archive_files(data: bytes) -> dict:
    """The files of a packaged chart, by path below its top directory."""
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {
            member.name.split("/", 1)[1]: archive.extractfile(member).read()
            for member in archive.getmembers()
            if member.isfile() and "/" in member.name
        }


def _chart(files: dict) -> Chart:
    meta = yaml.safe_load(files["Chart.yaml"])
    values = yaml.safe_load(files.get("values.yaml", b"")) or {}
    defaults = values.pop(ISTIO_DEFAULTS, None)
    if isinstance(defaults, dict):
        values = _merge(defaults, values)
    schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    reads, whole, aliases = set(), set(), set()
    for path, data in files.items():
        if path.startswith(("templates/", "files/")) and b"{{" in data:
            found, used, merged = template_reads(data.decode("utf-8", "replace"))
            reads |= found
            whole |= used
            aliases |= merged
    packaged = {}
    for path, data in files.items():
        parts = path.split("/")
        if parts[0] == "charts" and len(parts) == 2 and path.endswith(".tgz"):
            sub = _chart(_archive_files(data))
            packaged[sub.name] = sub
        elif parts[0] == "charts" and len(parts) == 3 and parts[2] == "Chart.yaml":
            prefix = f"charts/{parts[1]}/"
            sub = _chart({p.removeprefix(prefix): d for p, d in files.items() if p.startswith(prefix)})
            packaged[sub.name] = sub
    dependencies = meta.get("dependencies") or []
    # A subchart's values sit under its alias, if it has one, else under its name.
    subcharts = {name: sub for name, sub in packaged.items() if name not in {d["name"] for d in dependencies}}
    conditions = set()
    for dependency in dependencies:
        if dependency["name"] in packaged:
            subcharts[dependency.get("alias") or dependency["name"]] = packaged[dependency["name"]]
        conditions |= {_split(c.strip()) for c in (dependency.get("condition") or "").split(",") if c.strip()}
        conditions |= {("tags", tag) for tag in dependency.get("tags") or []}
    return Chart(
        name=meta["name"],
        version=str(meta["version"]),
        values=values,
        schema=schema,
        reads=reads,
        whole=whole,
        aliases=aliases,
        conditions=conditions,
        subcharts=subcharts,
        files=frozenset(files),
    )


def read_chart(source: Path) -> Chart:
    """A chart from its directory or its .tgz archive, with its subcharts."""
    source = Path(source)
    if source.is_dir():
        return _chart({p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()})
    return _chart(_archive_files(source.read_bytes()))


def default_mirror(repo: Path) -> Path | None:
    """The offline mirror: $BOTCORE_ADDON_MIRROR, else <repo>/../shared when it exists."""
    if os.environ.get(MIRROR_ENV):
        return Path(os.environ[MIRROR_ENV])
    beside = Path(repo).resolve().parent / "shared"
    return beside if beside.is_dir() else None


class ChartNotFound(Exception):
    """Neither the mirror nor the chart's repository has the chart."""


def helm_pull(helm: str, dest: Path):
    """find_chart's way to download: `helm pull` into a new directory below dest."""

    def pull(ref: str, repo_url: str, version: str) -> Path:
        target = Path(tempfile.mkdtemp(dir=dest))
        repo = ["--repo", repo_url] if repo_url else []
        command = [helm, "pull", ref, *repo, "--version", version, "--destination", str(target)]
        subprocess.run(command, check=True, capture_output=True, text=True)
        return next(target.glob("*.tgz"))

    return pull


def _addons():
    path = Path(__file__).resolve().parents[1] / "plugins" / "filter" / "addons.py"
    spec = importlib.util.spec_from_file_location("addons", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_chart(ref: str, repo_url: str, version: str, mirror: Path | None, pull) -> Path:
    """The archive of a release's chart: a local chart as given, the mirror's charts/<name>-<version>.tgz, or pulled.

    pull(ref, repo_url, version) returns the downloaded archive (helm_pull); it raises OSError or SubprocessError.
    """
    local = not ref.startswith("oci://") and ("/" in ref or ref.endswith(".tgz"))
    if local and Path(ref).exists():
        return Path(ref)
    name = ref.rstrip("/").rsplit("/", 1)[-1]
    # The mirror's layout is the collection's (the chart_source filter's), as the roles read it.
    if mirror is not None:
        archive = Path(_addons().chart_source(ref, repo_url or ref, version, str(mirror))["chart_ref"])
        if archive.is_file():
            return archive
    try:
        return pull(ref, repo_url, version)
    except (OSError, subprocess.SubprocessError) as error:
        where = f"{mirror}/charts has no {name}-{version}.tgz" if mirror is not None else f"{MIRROR_ENV} is not set"
        detail = (getattr(error, "stderr", None) or str(error)).strip()
        raise ChartNotFound(
            f"chart {ref} {version}: {where}, and pulling it from {repo_url or ref} failed ({detail}); "
            f"set {MIRROR_ENV} to a directory holding charts/{name}-{version}.tgz"
        ) from error
