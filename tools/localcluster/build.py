"""Build the cluster binaries from the Go module proxy, pinned by versions.json, cached by version.

Each tool gets its own wrapper module so that minimal version selection never mixes the
k8s.io/* or etcd versions of one tool into another.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .paths import cache_dir, versions

K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")


def _go_env() -> dict:
    env = dict(os.environ)
    # A surprise toolchain bump must fail loudly rather than try to download a toolchain.
    env.update(GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="-mod=mod")
    return env


def _run(cmd, cwd=None, **kw):
    print("+ " + " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=cwd, env=_go_env(), check=True, **kw)


def _mod_download(module: str) -> dict:
    out = subprocess.run(
        ["go", "mod", "download", "-json", module],
        env=_go_env(),
        check=True,
        capture_output=True,
        text=True,
        cwd=cache_dir(),
    ).stdout
    return json.loads(out)


def bin_dir(tool: str) -> Path:
    return cache_dir() / "bin" / f"{tool}-{versions()[tool]}"


def binary(name: str) -> Path:
    tool = "kubernetes" if name in K8S_COMMANDS else name
    return bin_dir(tool) / name


def _wrapper_module(name: str, body: str) -> Path:
    work = cache_dir() / "build" / name
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(body)
    return work


def _build_kubernetes(version: str, out: Path) -> None:
    staging_version = "v0." + version.split(".", 1)[1]
    upstream = Path(_mod_download(f"k8s.io/kubernetes@{version}")["GoMod"]).read_text()
    # k8s.io/kubernetes resolves its staging modules with local replaces that consumers ignore:
    # derive one replace per staging module from the real go.mod so a new module is never missed.
    staging = re.findall(r"^\s*(k8s\.io/[\w.-]+) => \./staging/", upstream, re.M)
    godebug = "\n".join(re.findall(r"^godebug .*$", upstream, re.M))
    tools = "".join(f"\tk8s.io/kubernetes/cmd/{c}\n" for c in K8S_COMMANDS)
    replaces = "".join(f"\t{m} => {m} {staging_version}\n" for m in staging)
    work = _wrapper_module(
        f"kubernetes-{version}",
        f"module local.build/k8s-bins\n\ngo 1.26.0\n\n{godebug}\n\ntool (\n{tools})\n\n"
        f"require k8s.io/kubernetes {version}\n\nreplace (\n{replaces})\n",
    )
    _run(["go", "mod", "tidy"], cwd=work)
    minor = version.split(".")[1]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ldflags = ["-s", "-w"]
    # Without these /version reports v0.0.0-master and Helm rejects charts with a kubeVersion.
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        ldflags += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor=1",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitCommit=module-{version}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate={stamp}",
        ]
    _run(
        [
            "go",
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-tags",
            "selinux,notest,grpcnotrace",
            "-ldflags",
            " ".join(ldflags),
            "-o",
            str(out) + "/",
        ]
        + [f"k8s.io/kubernetes/cmd/{c}" for c in K8S_COMMANDS],
        cwd=work,
    )


def _build_etcd(version: str, out: Path) -> None:
    # etcd's server module carries replace directives, so `go install` refuses it; build it as a dependency.
    work = _wrapper_module(
        f"etcd-{version}",
        f"module local.build/etcd-bin\n\ngo 1.26.0\n\ntool go.etcd.io/etcd/server/v3\n\n"
        f"require go.etcd.io/etcd/server/v3 {version}\n",
    )
    _run(["go", "mod", "tidy"], cwd=work)
    _run(
        [
            "go",
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags",
            "-s -w",
            "-o",
            str(out / "etcd"),
            "go.etcd.io/etcd/server/v3",
        ],
        cwd=work,
    )


def _go_install(package: str, out: Path, ldflags: str = "-s -w") -> None:
    env = _go_env()
    env["GOBIN"] = str(out)
    print(f"+ go install {package}", file=sys.stderr, flush=True)
    subprocess.run(["go", "install", "-trimpath", "-ldflags", ldflags, package], env=env, check=True, cwd=cache_dir())


def _build_kwok(version: str, out: Path) -> None:
    _go_install(f"sigs.k8s.io/kwok/cmd/kwok@{version}", out)


def _build_helm(version: str, out: Path) -> None:
    gomod = Path(_mod_download(f"helm.sh/helm/v3@{version}")["GoMod"]).read_text()
    client_minor = re.search(r"k8s\.io/client-go v0\.(\d+)\.", gomod).group(1)
    flags = [
        "-s",
        "-w",
        f"-X helm.sh/helm/v3/internal/version.version={version}",
        "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
    ]
    # Helm's own Makefile stamps the Kubernetes version it renders for from its client-go minor.
    for pkg in ("helm.sh/helm/v3/pkg/chartutil", "helm.sh/helm/v3/pkg/lint/rules"):
        flags += [f"-X {pkg}.k8sVersionMajor=1", f"-X {pkg}.k8sVersionMinor={client_minor}"]
    _go_install(f"helm.sh/helm/v3/cmd/helm@{version}", out, " ".join(flags))


BUILDERS = {
    "kubernetes": (_build_kubernetes, K8S_COMMANDS),
    "etcd": (_build_etcd, ("etcd",)),
    "kwok": (_build_kwok, ("kwok",)),
    "helm": (_build_helm, ("helm",)),
}


def _peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def ensure(tools=None) -> dict:
    """Build what is missing; return {tool: build record} for every requested tool."""
    if shutil.which("go") is None:
        raise SystemExit("go is required to build the local cluster binaries (the Go module proxy must be reachable)")
    cache_dir().mkdir(parents=True, exist_ok=True)
    records = {}
    for tool in tools or BUILDERS:
        build, commands = BUILDERS[tool]
        out = bin_dir(tool)
        record_file = out / "build.json"
        if record_file.exists() and all((out / c).exists() for c in commands):
            records[tool] = json.loads(record_file.read_text())
            continue
        tmp = out.with_name(out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        started = time.monotonic()
        build(versions()[tool], tmp)
        record = {
            "tool": tool,
            "version": versions()[tool],
            "seconds": round(time.monotonic() - started, 1),
            "bytes": sum((tmp / c).stat().st_size for c in commands),
            "peak_rss_mib_so_far": _peak_rss_kib() // 1024,
        }
        (tmp / "build.json").write_text(json.dumps(record, indent=2) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        print(f"built {tool} {record['version']} in {record['seconds']}s", file=sys.stderr, flush=True)
        records[tool] = record
    return records
