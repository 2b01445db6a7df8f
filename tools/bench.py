"""`make bench`: wall time of site.yml against `kubectl apply --server-side` of the same objects.

Runs on a local cluster of its own, started fresh and always stopped at the end: the Makefile sets
BOTCORE_CLUSTER_STATE=<cache>/bench-cluster and a port offset of 600, so it never meets the clusters of the
Molecule tests (100), the integration tests (200) or a developer. The upstream CRDs are installed first
(../shared/crds, or BOTCORE_CRDS_DIR).

Before the cluster starts, inventories/local is rendered for kubectl (timed too, for information). Then, measured in
one run, in this order:
  ansible converge            site.yml -i inventories/local on the fresh cluster; waits for rollouts (platform_wait)
  ansible no-op               site.yml again, nothing left to change
  ansible check               site.yml --check on the converged cluster
  ansible converge, no wait   site.yml -e platform_wait=false into a fresh namespace (bench-ansible-nowait): like
                              kubectl apply it does not wait for rollouts, so this is the like-for-like converge
  kubectl converge            kubectl apply --server-side of site.yml's render output (platform_render_dir) into a
                              fresh namespace (bench-kubectl)
  kubectl no-op               the same apply again
  kubectl check               the same apply with --dry-run=server

kubectl gets a namespace of its own instead of applying over site.yml's: the rendered Secrets are redacted (every
value is REDACTED) and the workloads' checksum/secrets annotations are computed from render stand-ins, so applying
them over the converged namespace would rewrite the Secrets and roll every workload: neither a no-op nor harmless.
Rendered with platform_namespace=bench-kubectl, the objects are the same for an empty namespace, and kubectl's
converge, rerun and dry run mirror site.yml's on its own state. The REDACTED values are fine for a timing.

A task is counted once however many items it loops over: ok + skipped + failed of the play recap (ok includes
changed). The printed table is also written as JSON to build/bench.json; every command's output goes to build/bench/.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tools.localcluster.paths import crds_dir

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
LOGS = BUILD / "bench"
NOWAIT_NAMESPACE = "bench-ansible-nowait"
KUBECTL_NAMESPACE = "bench-kubectl"
RECAP = re.compile(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
NOTE = (
    "kubectl apply returns once the API server has stored the objects; site.yml with platform_wait (the default) "
    "also waits for every Deployment and StatefulSet to roll out. 'ansible converge, no wait' is the like-for-like "
    "comparison with 'kubectl converge'."
)


class BenchError(RuntimeError):
    pass


def run(name, cmd, env=None):
    """Run cmd from the repository root; return (seconds, stdout). Its output is kept in build/bench/<name>.log."""
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    log = LOGS / f"{name.replace(' ', '-').replace(',', '')}.log"
    log.write_text(f"$ {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise BenchError(f"{name} failed with exit code {result.returncode}; output in {log}:\n{result.stdout[-3000:]}")
    return seconds, result.stdout


def localcluster(*args):
    return subprocess.run(
        [sys.executable, "-m", "tools.localcluster", *args], cwd=REPO, check=True, stdout=subprocess.PIPE, text=True
    ).stdout.strip()


def ansible_playbook():
    return str(Path(sys.executable).with_name("ansible-playbook"))


# The platform alone, with the spec's front door: the add-ons' Helm releases would measure Helm, not the collection.
PLATFORM_ONLY = ("-e", '{"platform_prerequisites": [], "platform_ingress_provider": "nginx"}')


def playbook(name, env, *args):
    """Run site.yml -i inventories/local; return its measurement with the task counts of the play recap."""
    seconds, out = run(name, [ansible_playbook(), "site.yml", "-i", "inventories/local", *PLATFORM_ONLY, *args], env)
    recaps = RECAP.findall(out)
    if len(recaps) != 1:
        raise BenchError(f"{name}: expected the recap of one host, found {len(recaps)}")
    ok, changed, unreachable, failed, skipped = map(int, recaps[0])
    tasks = ok + skipped + failed + unreachable
    return {"tool": "ansible", "seconds": seconds, "tasks": tasks, "changed": changed, "per_task": seconds / tasks}


def render_for_kubectl(env, directory):
    """Render inventories/local for KUBECTL_NAMESPACE; return the manifest files in site.yml's deploy order."""
    seconds = run(
        "render for kubectl",
        [
            ansible_playbook(),
            *("site.yml", "-i", "inventories/local", *PLATFORM_ONLY),
            *("-e", f"platform_render_dir={directory}", "-e", f"platform_namespace={KUBECTL_NAMESPACE}"),
        ],
        env,
    )[0]
    # The Namespace must exist before the objects in it: apply the components in the order site.yml deploys them.
    # The deploy play's tasks are in the block that holds the deploy lock.
    deploy = [
        t
        for task in yaml.safe_load((REPO / "playbooks/site.yml").read_text())[1]["tasks"]
        for t in task.get("block", [task])
    ]
    roles = [
        task[action]["name"].removeprefix("botcore.platform.")
        for task in deploy
        for action in ("ansible.builtin.import_role", "ansible.builtin.include_role")
        if action in task
    ]
    files = [f for role in roles for f in sorted(Path(directory).glob(f"*/{role}.yaml"))]
    if not files:
        raise BenchError(f"render for kubectl wrote no manifest under {directory}")
    return seconds, files


def kubectl_apply(name, kubectl, kubeconfig, files, *args):
    cmd = [kubectl, f"--kubeconfig={kubeconfig}", "apply", "--server-side", *args]
    seconds = run(name, cmd + [arg for f in files for arg in ("-f", str(f))])[0]
    objects = sum(1 for f in files for doc in yaml.safe_load_all(f.read_text()) if doc)
    return {"tool": "kubectl", "seconds": seconds, "objects": objects, "per_object": seconds / objects}


def measure(env, kubeconfig, kubectl, files):
    results = {}
    results["ansible converge"] = playbook("ansible converge", env)
    results["ansible no-op"] = playbook("ansible no-op", env)
    results["ansible check"] = playbook("ansible check", env, "--check")
    results["ansible converge, no wait"] = playbook(
        "ansible converge, no wait", env, "-e", "platform_wait=false", "-e", f"platform_namespace={NOWAIT_NAMESPACE}"
    )
    results["kubectl converge"] = kubectl_apply("kubectl converge", kubectl, kubeconfig, files)
    results["kubectl no-op"] = kubectl_apply("kubectl no-op", kubectl, kubeconfig, files)
    results["kubectl check"] = kubectl_apply("kubectl check", kubectl, kubeconfig, files, "--dry-run=server")
    return results


def ratios(results):
    pairs = {
        "converge (ansible waits for rollouts)": ("ansible converge", "kubectl converge"),
        "converge (no wait on either side)": ("ansible converge, no wait", "kubectl converge"),
        "no-op": ("ansible no-op", "kubectl no-op"),
        "check": ("ansible check", "kubectl check"),
    }
    return {label: results[a]["seconds"] / results[k]["seconds"] for label, (a, k) in pairs.items()}


def table(report):
    lines = [f"{'measurement':<28} {'seconds':>8} {'tasks':>6} {'changed':>8} {'s/task':>7}"]
    for name, m in report["measurements"].items():
        if m["tool"] == "ansible":
            lines.append(f"{name:<28} {m['seconds']:>8.1f} {m['tasks']:>6} {m['changed']:>8} {m['per_task']:>7.2f}")
        else:
            lines.append(f"{name:<28} {m['seconds']:>8.1f} {m['objects']:>6} objects, {m['per_object']:.3f} s/object")
    lines.append(f"{'(render for kubectl)':<28} {report['render_seconds']:>8.1f}")
    lines.append("")
    lines.append("ansible/kubectl:")
    lines.extend(f"  {label:<40} {ratio:>6.1f}x" for label, ratio in report["ratios"].items())
    lines.append("")
    lines.append(f"Note: {report['note']}")
    return "\n".join(lines)


def main():
    if not (os.environ.get("BOTCORE_CLUSTER_STATE") and os.environ.get("BOTCORE_CLUSTER_PORT_OFFSET")):
        # Without them `down` would stop the developer's default cluster: run through `make bench`.
        print("bench: set BOTCORE_CLUSTER_STATE and BOTCORE_CLUSTER_PORT_OFFSET (make bench does)", file=sys.stderr)
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="botcore-bench-") as rendered:
        try:
            # A stale bench cluster (an interrupted run) would not be fresh: `up` alone would reuse it.
            localcluster("down")
            # Render mode reads no cluster: done first, it keeps the cluster's life short.
            render_seconds, files = render_for_kubectl(os.environ, rendered)
            localcluster("up")
            kubeconfig = localcluster("kubeconfig")
            kubectl = localcluster("bin", "kubectl")
            env = dict(os.environ, KUBECONFIG=kubeconfig)
            run("install CRDs", [kubectl, f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", crds_dir()])
            run(
                "wait for CRDs",
                [kubectl, f"--kubeconfig={kubeconfig}", "wait", "--for=condition=Established", "crd", "--all"],
            )
            results = measure(env, kubeconfig, kubectl, files)
        except (BenchError, subprocess.CalledProcessError) as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
        finally:
            localcluster("down")
    report = {"measurements": results, "ratios": ratios(results), "render_seconds": render_seconds, "note": NOTE}
    print(table(report))
    (BUILD / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {BUILD / 'bench.json'}; command output in {LOGS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
