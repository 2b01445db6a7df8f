"""`make bench`: site.yml against its anchors on a local cluster of its own, interleaved rounds, medians.

The cluster is started fresh and always stopped at the end. `make bench` gives it BOTCORE_CLUSTER_STATE=
<cache>/bench-cluster and a port offset of 600 unless the environment sets them, so it never meets the clusters of
the Molecule tests (100), the integration tests (200) or a developer's. The upstream CRDs are installed first
(../shared/crds, or BOTCORE_CRDS_DIR).

Before the cluster starts, inventories/local is rendered once (platform_render_dir, the platform alone) for the
namespace bench-render. Every anchor gets that render in a namespace of its own, one per round: the rendered Secrets
are redacted and the workloads' checksums come from render stand-ins, so applying them over site.yml's namespace
would rewrite its Secrets and roll its workloads. The anchors, each into namespace bench-<anchor>-<round>, their
inputs generated into build/bench/r<round>/:
  site.yml    site.yml -i inventories/local -e platform_wait=false -e platform_namespace=bench-site-<round>
  naive       naive/naive.yml: one kubernetes.core.k8s task per object (apply, server-side, site.yml's field manager)
  helm        helm upgrade --install of the chart helm/, whose templates/ are the rendered files (release in default)
  kubectl     kubectl apply --server-side -f kubectl/objects.yaml
  floor       floor/floor.yml: one kubernetes.core.k8s task applying every object
  empty play  empty.yml: Ansible's own start and stop (no-op only)
Each round runs every anchor's converge (into its fresh namespace, no wait), then every anchor's no-op (the same
again), then every check (--check; --dry-run=server for helm and kubectl). ROUNDS (default 3) rounds; the report
holds medians of wall time and of controller CPU (user+sys of the command and its children, from getrusage
(RUSAGE_CHILDREN) deltas: the cluster's processes are not the bench's children), Ansible's task counts (ok +
skipped + failed of the recap: a loop counts once) and the ratios site.yml/helm, site.yml/kubectl, naive/site.yml.

BENCH_FLEET=N (make bench FLEET=N) runs the fleet mode instead: N clusters (state fleet<k>-<state>, ports +50 k),
each converged by site.yml, then in ROUNDS rounds site.yml's no-op with forks=5 on the first cluster alone and on
all N, from one inventory listing the N clusters as hosts of group clusters (inventories/local's group_vars apply).

Printed, and written to build/bench.json (build/bench-fleet.json); every command's output is in build/bench/logs/
(build/bench-fleet/logs/).
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tools.bench import fleet, generate, report
from tools.localcluster.paths import crds_dir

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
WORK = BUILD / "bench"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)
# The platform alone, with the spec's front door: the add-ons' Helm releases would measure Helm, not the collection.
PLATFORM_ONLY = ("-e", '{"platform_prerequisites": [], "platform_ingress_provider": "nginx"}')
FORKS = "5"


class BenchError(RuntimeError):
    pass


def run(name, cmd, env=None):
    """Run cmd from the repository root; return (wall seconds, controller CPU seconds, stdout)."""
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(list(map(str, cmd)), cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log = WORK / "logs" / f"{re.sub(r'[^A-Za-z0-9.]+', '-', name).strip('-')}.log"
    log.write_text(f"$ {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise BenchError(f"{name} failed with exit code {result.returncode}; output in {log}:\n{result.stdout[-3000:]}")
    return wall, cpu, result.stdout


def recap(name, out, hosts=1):
    """{host: tasks} of the play recap, which must list hosts hosts; tasks = ok + skipped + failed + unreachable."""
    found = {h: int(ok) + int(s) + int(f) + int(u) for h, ok, _changed, u, f, s in RECAP.findall(out)}
    if len(found) != hosts:
        raise BenchError(f"{name}: expected the recap of {hosts} host(s), found {len(found)}")
    return found


def changed(out):
    return sum(int(c) for _host, _ok, c, *_rest in RECAP.findall(out))


def localcluster(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "tools.localcluster", *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.strip()


def ansible_playbook():
    return str(Path(sys.executable).with_name("ansible-playbook"))


def site(*args):
    return [ansible_playbook(), "site.yml", "-i", "inventories/local", *PLATFORM_ONLY, *args]


def render(env, directory):
    """Render inventories/local for generate.PLACEHOLDER; return [(component, text)] in site.yml's deploy order."""
    run(
        "render",
        site("-e", f"platform_render_dir={directory}", "-e", f"platform_namespace={generate.PLACEHOLDER}"),
        env,
    )
    # The Namespace must exist before the objects in it: the components in the order site.yml deploys them.
    runs = yaml.safe_load((REPO / "playbooks/vars/site_roles.yml").read_text())["__site_platform_runs"]
    roles = [component for run_components in runs for component in run_components]
    files = [(role, f.read_text()) for role in roles for f in sorted(Path(directory).glob(f"*/{role}.yaml"))]
    if not files:
        raise BenchError(f"the render wrote no manifest under {directory}")
    return files


def prepare(files, round_dir, number):
    """Write every anchor's input into round_dir, each for its own namespace bench-<anchor>-<number>."""
    shutil.rmtree(round_dir, ignore_errors=True)

    def mine(anchor):
        (round_dir / anchor).mkdir(parents=True)
        return generate.for_namespace(files, f"bench-{anchor}-{number}")

    (round_dir / "kubectl" / "objects.yaml").write_text(generate.manifest(mine("kubectl")))
    (round_dir / "naive" / "naive.yml").write_text(generate.naive_playbook(mine("naive")))
    (round_dir / "floor" / "floor.yml").write_text(generate.floor_playbook(mine("floor")))
    (round_dir / "empty.yml").write_text(generate.empty_playbook())
    for path, text in generate.chart(mine("helm"), "bench-platform").items():
        (round_dir / "helm" / path).parent.mkdir(parents=True, exist_ok=True)
        (round_dir / "helm" / path).write_text(text)


def commands(round_dir, number, kubeconfig, kubectl, helm):
    """{anchor: {operation: (command, Ansible?)}} of one round."""
    ansible = ansible_playbook()
    site_args = ("-e", "platform_wait=false", "-e", f"platform_namespace=bench-site-{number}")
    helm_cmd = [helm, f"--kubeconfig={kubeconfig}", "upgrade", "--install", f"bench-helm-{number}"]
    helm_cmd += [round_dir / "helm", "--namespace", "default"]
    kubectl_cmd = [
        kubectl,
        f"--kubeconfig={kubeconfig}",
        "apply",
        "--server-side",
        "-f",
        round_dir / "kubectl" / "objects.yaml",
    ]
    result = {
        "site.yml": {"converge": site(*site_args), "no-op": site(*site_args), "check": site(*site_args, "--check")},
        "helm": {"converge": helm_cmd, "no-op": helm_cmd, "check": [*helm_cmd, "--dry-run=server"]},
        "kubectl": {"converge": kubectl_cmd, "no-op": kubectl_cmd, "check": [*kubectl_cmd, "--dry-run=server"]},
        "empty play": {"no-op": [ansible, round_dir / "empty.yml"]},
    }
    for anchor in ("naive", "floor"):
        cmd = [ansible, round_dir / anchor / f"{anchor}.yml"]
        result[anchor] = {"converge": cmd, "no-op": cmd, "check": [*cmd, "--check"]}
    return result


def round_namespaces(listed, number):
    """The namespaces of round number among `kubectl get namespaces -o name`'s lines: bench-<anchor>-<number>."""
    return [name for name in listed if re.fullmatch(rf"namespace/bench-[a-z0-9.-]+-{number}", name)]


def clean(kubectl, kubeconfig, number):
    """Delete round number's namespaces, outside the measurement: the next round's anchors need the nodes' room, which
    site.yml's preflight counts (three rounds of six anchors do not fit on the local cluster's workers)."""
    listed = subprocess.run(
        [kubectl, f"--kubeconfig={kubeconfig}", "get", "namespaces", "-o", "name"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    names = round_namespaces(listed, number)
    if names:
        run(
            f"r{number} delete its namespaces",
            [kubectl, f"--kubeconfig={kubeconfig}", "delete", "--timeout=300s", *names],
        )


def start(env):
    """Start a fresh cluster for env (a stale one of an interrupted run would not be fresh); the CRDs installed."""
    localcluster("down", env=env)
    localcluster("up", env=env)
    kubeconfig = localcluster("kubeconfig", env=env)
    kubectl = localcluster("bin", "kubectl", env=env)
    offset = env["BOTCORE_CLUSTER_PORT_OFFSET"]
    run(f"install CRDs {offset}", [kubectl, f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", crds_dir()])
    run(
        f"wait for CRDs {offset}",
        [kubectl, f"--kubeconfig={kubeconfig}", "wait", "--for=condition=Established", "crd", "--all"],
    )
    return kubeconfig


def anchors(rounds):
    samples = []
    with tempfile.TemporaryDirectory(prefix="botcore-bench-") as rendered:
        try:
            files = render(
                os.environ, rendered
            )  # render mode reads no cluster: first, to keep the cluster's life short
            kubeconfig = start(os.environ)
            env = dict(os.environ, KUBECONFIG=kubeconfig)
            kubectl, helm = localcluster("bin", "kubectl"), localcluster("bin", "helm")
            for number in range(1, rounds + 1):
                round_dir = WORK / f"r{number}"
                prepare(files, round_dir, number)
                plan = commands(round_dir, number, kubeconfig, kubectl, helm)
                for operation in report.OPERATIONS:
                    for anchor in report.ANCHORS:
                        if operation not in plan[anchor]:
                            continue
                        cmd = plan[anchor][operation]
                        name = f"r{number} {anchor} {operation}"
                        wall, cpu, out = run(name, cmd, env)
                        sample = {"anchor": anchor, "operation": operation, "round": number, "wall": wall, "cpu": cpu}
                        if cmd[0] == ansible_playbook():
                            # The empty play runs no task: its recap lists no host.
                            counts = recap(name, out, hosts=0 if anchor == "empty play" else 1)
                            sample.update(tasks=sum(counts.values()), changed=changed(out))
                        samples.append(sample)
                clean(kubectl, kubeconfig, number)
        finally:
            localcluster("down")
    summary = report.summarize(samples)
    ratio_table = report.ratios(summary)
    print(report.table(summary, ratio_table))
    result = {"rounds": rounds, "summary": summary, "ratios": ratio_table, "samples": samples}
    (BUILD / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {BUILD / 'bench.json'}; command output in {WORK / 'logs'}")


def fleet_mode(size, rounds):
    members = fleet.members(size, os.environ["BOTCORE_CLUSTER_STATE"], int(os.environ["BOTCORE_CLUSTER_PORT_OFFSET"]))
    envs = {
        host: dict(os.environ, BOTCORE_CLUSTER_STATE=str(state), BOTCORE_CLUSTER_PORT_OFFSET=str(offset))
        for host, state, offset in members
    }
    samples = []
    try:
        kubeconfigs = {host: start(env) for host, env in envs.items()}
        hosts_file = WORK / "fleet.yml"
        hosts_file.write_text(yaml.safe_dump(fleet.inventory(kubeconfigs), sort_keys=False))
        first = members[0][0]
        # inventories/local for its group_vars; its own host (KUBECONFIG's cluster) is left out by the limit.
        fleet_site = site("-i", hosts_file, "--forks", FORKS)
        run(f"fleet converge {size}", [*fleet_site, "--limit", f"{fleet.GROUP}:!local"])
        for number in range(1, rounds + 1):
            for n, limit in ((1, first), (size, f"{fleet.GROUP}:!local")):
                name = f"fleet r{number} no-op {n}"
                wall, cpu, out = run(name, [*fleet_site, "--limit", limit])
                tasks = recap(name, out, n)
                samples.append({"clusters": n, "round": number, "wall": wall, "cpu": cpu, "tasks": tasks})
    finally:
        for env in envs.values():
            localcluster("down", env=env)
    summary = report.fleet_summary(samples, size)
    print(report.fleet_table(summary, size))
    result = {"rounds": rounds, "forks": int(FORKS), "size": size, **summary, "samples": samples}
    (BUILD / "bench-fleet.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {BUILD / 'bench-fleet.json'}; command output in {WORK / 'logs'}")


def main():
    if not (os.environ.get("BOTCORE_CLUSTER_STATE") and os.environ.get("BOTCORE_CLUSTER_PORT_OFFSET")):
        # Without them `down` would stop the developer's default cluster: run through `make bench`.
        print("bench: set BOTCORE_CLUSTER_STATE and BOTCORE_CLUSTER_PORT_OFFSET (make bench does)", file=sys.stderr)
        return 2
    try:
        rounds = int(os.environ.get("ROUNDS") or 3)
        size = int(os.environ.get("BENCH_FLEET") or 0)
    except ValueError as exc:
        print(f"bench: ROUNDS and BENCH_FLEET must be whole numbers: {exc}", file=sys.stderr)
        return 2
    if rounds < 1:
        print(f"bench: ROUNDS must be 1 or more, not {rounds}", file=sys.stderr)
        return 2
    global WORK  # each mode its own directory: a fleet run beside an anchors run keeps its files
    WORK = BUILD / ("bench-fleet" if size else "bench")
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "logs").mkdir(parents=True)
    try:
        if size:
            fleet_mode(size, rounds)
        else:
            anchors(rounds)
    except (BenchError, fleet.FleetError, generate.GenerateError, report.ReportError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"bench: {' '.join(exc.cmd)} failed with exit code {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
