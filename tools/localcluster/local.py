"""The `local` provider: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok as processes.

Everything listens on 127.0.0.1. Pod, node and service IPs are data only: nothing here dials them,
and the API server is given no node address to dial (no --node-ip for kwok, no webhooks).
"""

import contextlib
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from . import build
from .paths import HERE, state_dir, versions

# BOTCORE_CLUSTER_PORT_OFFSET lets a second cluster (another checkout, a helper) run beside the first.
_OFFSET = int(os.environ.get("BOTCORE_CLUSTER_PORT_OFFSET", "0"))
PORTS = {
    name: port + _OFFSET
    for name, port in {
        "etcd": 12379,
        "etcd-peer": 12380,
        "kube-apiserver": 16443,
        "kube-controller-manager": 10257,
        "kube-scheduler": 10259,
        "kwok": 10247,
    }.items()
}
ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
STORAGE_CLASSES = ("standard", "fast-ssd")
KWOK_PROVISIONER = "kwok.x-k8s.io/volume"
BROKEN_SUFFIX = "-broken"


class ClusterError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[localcluster] {msg}", file=sys.stderr, flush=True)


# --- state -------------------------------------------------------------------------------------


def kubeconfig_path() -> Path:
    return state_dir() / "kubeconfig"


def _record_file() -> Path:
    return state_dir() / "cluster.json"


def _read_record() -> dict:
    try:
        return json.loads(_record_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_record(record: dict) -> None:
    _record_file().write_text(json.dumps(record, indent=2) + "\n")


def _proc_start_time(pid: int):
    """The kernel's start time of a live process (None when gone or a zombie): tells a recycled pid from ours."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # An exited child of an exited `up` may never be reaped here; it is dead all the same.
    return None if fields[0] == "Z" else int(fields[19])


def _alive(entry: dict) -> bool:
    return _proc_start_time(entry["pid"]) == entry["start_time"]


def _references(cmdline: bytes, state: Path, cache: Path) -> bool:
    """Whether a process's command line is one of our binaries using a file of ``state``: the separator keeps
    `.../cluster-bench` from claiming the processes of `.../cluster-bench-f`."""
    return (str(state) + "/").encode() in cmdline and cmdline.split(b"\0", 1)[0].startswith(str(cache).encode())


def _orphans() -> list:
    """Processes that reference our state directory but are not in the record (a killed `up`)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmdline = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if _references(cmdline, state_dir(), build.cache_dir()):
            found.append(int(d.name))
    return found


# --- processes ---------------------------------------------------------------------------------

_children = {}


def _start(name: str, args: list, record: dict) -> None:
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as out:
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=state_dir(),
        )
    _children[name] = proc
    record.setdefault("processes", {})[name] = {"pid": proc.pid, "start_time": _proc_start_time(proc.pid)}
    _write_record(record)


def _stop_pids(pids) -> None:
    pids = [p for p in pids if _proc_start_time(p) is not None]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_proc_start_time(p) is not None for p in pids):
        for pid in pids:  # reap our own children so they do not linger as zombies
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    for pid in pids:
        if _proc_start_time(pid) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _wait(what: str, check, timeout: float, name: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if name and _children[name].poll() is not None:
            raise ClusterError(f"{name} exited while waiting for {what}; see {state_dir() / 'logs' / (name + '.log')}")
        time.sleep(0.25)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _busy(ports, grace: float = 10.0) -> list:
    """The (name, port) pairs still listening after a grace period, as "name:port": a process killed a moment ago may
    not have let go of its listener yet."""
    deadline = time.monotonic() + grace
    while True:
        busy = [f"{name}:{port}" for name, port in ports if _port_open(port)]
        if not busy or time.monotonic() >= deadline:
            return busy
        time.sleep(0.2)


def kubectl(*args, check=True, input=None, capture=True):
    return subprocess.run(
        [str(build.binary("kubectl")), f"--kubeconfig={kubeconfig_path()}", *args],
        check=check,
        input=input,
        text=True,
        capture_output=capture,
    )


def _api_ready() -> bool:
    return kubectl("get", "--raw=/readyz", check=False).returncode == 0


# --- PKI and kubeconfig --------------------------------------------------------------------------


def _pki() -> Path:
    pki = state_dir() / "pki"
    pki.mkdir(parents=True, exist_ok=True)

    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=pki, check=True, capture_output=True)

    ssl("genrsa", "-out", "ca.key", "2048")
    ssl(
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-subj",
        "/CN=botcore-local-ca",
        "-days",
        "3650",
        "-out",
        "ca.crt",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    ssl("genrsa", "-out", "admin.key", "2048")
    ssl("req", "-new", "-key", "admin.key", "-subj", "/O=system:masters/CN=botcore-local-admin", "-out", "admin.csr")
    (pki / "admin.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        "subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
        "DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1\n"
    )
    ssl(
        "x509",
        "-req",
        "-in",
        "admin.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        "admin.ext",
        "-out",
        "admin.crt",
    )
    ssl("genrsa", "-out", "sa.key", "2048")
    ssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")
    for key in pki.glob("*.key"):
        key.chmod(0o600)
    return pki


def _write_kubeconfig(pki: Path) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "botcore-local",
        "clusters": [
            {
                "name": "botcore-local",
                "cluster": {
                    "server": f"https://127.0.0.1:{PORTS['kube-apiserver']}",
                    "certificate-authority": str(pki / "ca.crt"),
                },
            }
        ],
        "users": [
            {
                "name": "botcore-local-admin",
                "user": {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
            }
        ],
        "contexts": [{"name": "botcore-local", "context": {"cluster": "botcore-local", "user": "botcore-local-admin"}}],
    }
    path = kubeconfig_path()
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


# --- kwok --------------------------------------------------------------------------------------


def _kwok_stages() -> list:
    """kwok's own stages from its module source, plus two of ours: `-broken` images never become Ready,
    and the volume provisioner serves every StorageClass this cluster creates."""
    src = Path(subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True, text=True).stdout.strip())
    stage_dir = src / f"sigs.k8s.io/kwok@{versions()['kwok']}" / "kustomize" / "stage"
    if not stage_dir.is_dir():
        subprocess.run(
            ["go", "mod", "download", f"sigs.k8s.io/kwok@{versions()['kwok']}"],
            check=True,
            cwd=build.cache_dir(),
            env=dict(os.environ, GOTOOLCHAIN="local"),
        )
    files = (
        "node/fast/node-initialize.yaml",
        "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
        "pod/fast/pod-ready.yaml",
        "pod/fast/pod-complete.yaml",
        "pod/fast/pod-delete.yaml",
        "volume/fast/pvc-provision.yaml",
        "volume/fast/pv-bind.yaml",
        "volume/fast/pvc-delete.yaml",
        "volume/fast/pv-delete.yaml",
    )
    stages = {}
    for f in files:
        doc = yaml.safe_load((stage_dir / f).read_text())
        stages[doc["metadata"]["name"]] = doc
    not_broken = f"!self.spec.containers.exists(c, c.image.endsWith('{BROKEN_SUFFIX}'))"
    stages["pod-ready"]["spec"]["selector"]["matchExpressions"].append({"cel": {"expression": not_broken}})
    broken = copy.deepcopy(stages["pod-ready"])
    broken["metadata"]["name"] = "pod-broken-image"
    broken["spec"]["selector"]["matchExpressions"][-1] = {"cel": {"expression": not_broken[1:]}}
    broken["spec"]["next"]["statusTemplate"] = (HERE / "stages" / "pod-broken-status.tmpl").read_text()
    stages[broken["metadata"]["name"]] = broken
    classes = ", ".join(f"'{c}'" for c in STORAGE_CLASSES)
    for expr in stages["pvc-provision"]["spec"]["selector"]["matchExpressions"]:
        if "storageClassName" in expr.get("cel", {}).get("expression", ""):
            expr["cel"]["expression"] = f"self.spec.storageClassName in [{classes}]"
    return list(stages.values())


def _write_kwok_config() -> Path:
    config = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        "options": {
            "manageAllNodes": True,
            "cidr": "10.244.0.0/16",
            "nodeLeaseDurationSeconds": 40,
            # kwok applies its defaults only without a config file: a zero here is fatal.
            "nodeLeaseParallelism": 4,
            "podPlayStageParallelism": 4,
            "nodePlayStageParallelism": 4,
            "podsOnNodeSyncParallelism": 1,
        },
    }
    path = state_dir() / "kwok.yaml"
    path.write_text(yaml.safe_dump_all([config, *_kwok_stages()], sort_keys=False))
    return path


def _node(spec: dict) -> dict:
    labels = {
        "kubernetes.io/hostname": spec["name"],
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": spec["zone"],
        "type": "kwok",
    }
    taints = []
    if spec.get("control_plane"):
        labels["node-role.kubernetes.io/control-plane"] = ""
        taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    resources = {"cpu": spec["cpu"], "memory": spec["memory"], "pods": "110", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec["name"],
            "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
        },
        "spec": {"taints": taints, "providerID": f"kwok://{spec['name']}"},
        "status": {
            "allocatable": resources,
            "capacity": resources,
            "phase": "Running",
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": versions()["kubernetes"],
                "kubeProxyVersion": "",
                "bootID": "",
                "containerRuntimeVersion": "kwok",
                "kernelVersion": "",
                "machineID": "",
                "osImage": "kwok",
                "systemUUID": "",
            },
        },
    }


def _storage_class(name: str) -> dict:
    annotations = {"storageclass.kubernetes.io/is-default-class": str(name == STORAGE_CLASSES[0]).lower()}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
        "provisioner": KWOK_PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
        "allowVolumeExpansion": True,
    }


# --- lifecycle ---------------------------------------------------------------------------------


def load_topology(name: str) -> dict:
    path = Path(name) if name.endswith(".json") else HERE / "topologies" / f"{name}.json"
    if not path.exists():
        raise ClusterError(
            f"unknown topology {name!r}; choose one of "
            f"{sorted(p.stem for p in (HERE / 'topologies').glob('*.json'))} or a .json path"
        )
    return json.loads(path.read_text())


def running() -> bool:
    record = _read_record()
    procs = record.get("processes", {})
    return bool(procs) and all(n in procs and _alive(procs[n]) for n in ORDER) and _api_ready()


def status() -> dict:
    record = _read_record()
    procs = {
        n: ("running" if n in record.get("processes", {}) and _alive(record["processes"][n]) else "stopped")
        for n in ORDER
    }
    return {
        "provider": "local",
        "state_dir": str(state_dir()),
        "kubeconfig": str(kubeconfig_path()),
        "topology": record.get("topology"),
        "processes": procs,
        "api_ready": all(v == "running" for v in procs.values()) and _api_ready(),
    }


def down() -> None:
    record = _read_record()
    pids = [e["pid"] for n, e in reversed(list(record.get("processes", {}).items())) if _alive(e)]
    _stop_pids(pids + [p for p in _orphans() if p not in pids])
    shutil.rmtree(state_dir(), ignore_errors=True)


# What a state directory needs to start again; `up` rebuilds a state that lacks any of it (see `_unusable`).
STATE_FILES = (
    "pki/ca.crt",
    "pki/admin.crt",
    "pki/admin.key",
    "pki/sa.key",
    "pki/sa.pub",
    "kubeconfig",
    "kwok.yaml",
    "etcd/member",
)
# How long an API server that outlived etcd gets to reconnect to the restarted etcd before it is restarted too.
API_RECONNECT_SECONDS = 60


class StateUnusable(ClusterError):
    """The state directory cannot start again: the only case in which `up` rebuilds the cluster from scratch."""


def _unusable(record: dict) -> str | None:
    """Why the state directory cannot start again, or None when it can."""
    if not record:
        return "it has no readable cluster.json"
    if not record.get("complete"):
        return "its first start never finished"
    if record.get("versions") != versions():
        return f"it was made by other component versions ({record.get('versions')}; now {versions()})"
    missing = [f for f in STATE_FILES if not (state_dir() / f).exists()]
    if missing:
        return f"it lacks {', '.join(missing)}"
    return None


def _warn_rebuild(reason: str) -> None:
    """Say it where nobody can miss it: rebuilding deletes every object the cluster held."""
    log(
        f"WARNING: REBUILDING THE CLUSTER FROM SCRATCH - the state in {state_dir()} cannot start again ({reason}); "
        "deleting it: every object, CRD and Secret it held is lost"
    )


def _check_topology(record: dict, topology: str) -> None:
    if record.get("topology") != topology:
        raise ClusterError(
            f"the local cluster has topology {record.get('topology')!r}; run `down` first to switch to {topology!r}"
        )


def up(topology: str = "default") -> dict:
    """Start the cluster; a no-op when it runs. A dead component is restarted on the existing state (etcd data,
    PKI, kubeconfig, kwok config), keeping every object; only a state that cannot start again is rebuilt, loudly."""
    record = _read_record()
    if running():
        _check_topology(record, topology)
        log("already running")
        return record
    if state_dir().exists():
        reason = _unusable(record)
        if reason is None:
            _check_topology(record, topology)
            try:
                return _restart(record)
            except StateUnusable as exc:
                reason = str(exc)
        _warn_rebuild(reason)
        down()
    elif _orphans():
        log("stopping the processes of a previous run that was killed before it wrote its state")
        down()
    busy = _busy(PORTS.items())
    if busy:
        raise ClusterError(f"ports already in use on 127.0.0.1 ({', '.join(busy)}); another cluster is running?")
    nodes = load_topology(topology)["nodes"]
    build.ensure()
    started = time.monotonic()
    state_dir().mkdir(parents=True)
    record = {"topology": topology, "versions": versions()}
    _write_record(record)
    try:
        _boot(record, nodes)
    except BaseException:
        _fail(record)
        raise
    record["complete"] = True
    record["up_seconds"] = round(time.monotonic() - started, 1)
    _write_record(record)
    log(f"up in {record['up_seconds']}s; KUBECONFIG={kubeconfig_path()}")
    return record


def _fail(record: dict) -> None:
    log(f"start failed; logs are in {state_dir() / 'logs'}")
    for name in ORDER:
        log_file = state_dir() / "logs" / f"{name}.log"
        if log_file.exists():
            print(f"--- last lines of {name}.log", file=sys.stderr)
            print("\n".join(log_file.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
    _stop_pids([e["pid"] for e in record.get("processes", {}).values()])


def _restart(record: dict) -> dict:
    """Start the dead components again, in dependency order, on the state they had."""
    started = time.monotonic()
    procs = record.get("processes", {})
    dead = [n for n in ORDER if not (n in procs and _alive(procs[n]))]
    live = {procs[n]["pid"] for n in ORDER if n not in dead}
    # A killed `up` may have left a component it was starting unrecorded: it would hold the port.
    _stop_pids([p for p in _orphans() if p not in live])
    ports = {n: [p for k, p in PORTS.items() if k.split("-peer")[0] == n] for n in dead}
    busy = _busy([(n, p) for n in dead for p in ports[n]])
    if busy:
        raise ClusterError(f"cannot restart: ports already in use on 127.0.0.1 ({', '.join(busy)}); another cluster?")
    log(f"restarting {', '.join(dead) or 'nothing'} on the existing state in {state_dir()}")
    try:
        if "etcd" in dead:
            _launch(["etcd"], record)
        if "kube-apiserver" not in dead:
            # It survives a dead etcd and reconnects on its own; one that does not is restarted like a dead one.
            try:
                _wait("kube-apiserver /readyz", _api_ready, API_RECONNECT_SECONDS)
            except ClusterError:
                log(f"kube-apiserver not ready {API_RECONNECT_SECONDS}s after etcd; restarting it")
                _stop_pids([procs["kube-apiserver"]["pid"]])
                dead.insert(1, "kube-apiserver")
        if "kube-apiserver" in dead:
            _launch(["kube-apiserver"], record)
        # The controllers and kwok reconnect to a restarted API server on their own.
        _launch([n for n in ORDER[2:] if n in dead], record)
    except StateUnusable:
        _stop_pids([e["pid"] for e in record.get("processes", {}).values() if _alive(e)])
        raise
    except BaseException:
        _fail(record)
        raise
    seconds = round(time.monotonic() - started, 1)
    record.setdefault("restarts", []).append({"components": dead, "seconds": seconds})
    _write_record(record)
    log(f"restarted {', '.join(dead) or 'nothing'} in {seconds}s, every object kept; KUBECONFIG={kubeconfig_path()}")
    return record


def _args(name: str) -> list:
    """The command line of a component; every path in it points into the state directory."""
    b = build.binary
    sd = state_dir()
    pki = sd / "pki"
    common = [
        f"--kubeconfig={kubeconfig_path()}",
        "--bind-address=127.0.0.1",
        "--leader-elect=false",
        "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
        "--profiling=false",
        "--v=1",
    ]
    return {
        "etcd": [
            str(b("etcd")),
            "--name=botcore",
            f"--data-dir={sd / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{PORTS['etcd']}",
            f"--advertise-client-urls=http://127.0.0.1:{PORTS['etcd']}",
            f"--listen-peer-urls=http://127.0.0.1:{PORTS['etcd-peer']}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{PORTS['etcd-peer']}",
            f"--initial-cluster=botcore=http://127.0.0.1:{PORTS['etcd-peer']}",
            "--listen-metrics-urls=",
            "--auto-compaction-retention=1",
            "--quota-backend-bytes=4294967296",
            "--unsafe-no-fsync",  # a throw-away test store: durability costs seconds per run on slow disks
        ],
        "kube-apiserver": [
            str(b("kube-apiserver")),
            f"--etcd-servers=http://127.0.0.1:{PORTS['etcd']}",
            "--bind-address=127.0.0.1",
            f"--secure-port={PORTS['kube-apiserver']}",
            # No default route here: name the advertise address, and keep the loopback address out of the
            # `kubernetes` Endpoints (nothing reads them: there is no kube-proxy).
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
            "--authorization-mode=Node,RBAC",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--tls-cert-file={pki / 'admin.crt'}",
            f"--tls-private-key-file={pki / 'admin.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--kubelet-preferred-address-types=InternalIP",
            "--profiling=false",
            "--v=1",
        ],
        "kube-controller-manager": [
            str(b("kube-controller-manager")),
            *common,
            f"--secure-port={PORTS['kube-controller-manager']}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            "--use-service-account-credentials=false",
        ],
        "kube-scheduler": [str(b("kube-scheduler")), *common, f"--secure-port={PORTS['kube-scheduler']}"],
        "kwok": [
            str(b("kwok")),
            f"--kubeconfig={kubeconfig_path()}",
            f"--config={sd / 'kwok.yaml'}",
            "--manage-all-nodes=true",
            "--node-lease-duration-seconds=40",
            f"--server-address=127.0.0.1:{PORTS['kwok']}",
            f"--tls-cert-file={pki / 'admin.crt'}",
            f"--tls-private-key-file={pki / 'admin.key'}",
        ],
    }[name]


def _ready_check(name: str):
    """(what, check, timeout) that tells a started component is serving."""
    if name == "kube-apiserver":
        return "kube-apiserver /readyz", _api_ready, 120
    return name, lambda: _port_open(PORTS[name]), 30 if name == "etcd" else 60


def _launch(names: list, record: dict) -> None:
    """Start the components, then wait until each one serves."""
    for name in names:
        _start(name, _args(name), record)
    for name in names:
        what, check, timeout = _ready_check(name)
        try:
            _wait(what, check, timeout, name)
        except ClusterError as exc:
            # etcd that exits on its data directory is the one failure that says the data cannot start again.
            if name == "etcd" and record.get("complete") and _children[name].poll() is not None:
                log_file = state_dir() / "logs" / "etcd.log"
                raise StateUnusable(f"etcd exited on its data directory; see {log_file}") from exc
            raise


def _boot(record: dict, nodes: list) -> None:
    _write_kubeconfig(_pki())
    _write_kwok_config()
    _launch(["etcd"], record)
    _launch(["kube-apiserver"], record)
    _launch(["kube-controller-manager", "kube-scheduler", "kwok"], record)
    objects = [_node(n) for n in nodes] + [_storage_class(c) for c in STORAGE_CLASSES]
    kubectl(
        "apply",
        "--server-side",
        "--field-manager=botcore-localcluster",
        "-f",
        "-",
        input="\n---\n".join(json.dumps(o) for o in objects),
    )
    kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=120s")
    # Pods created in a fresh namespace need its `default` ServiceAccount, which the controller manager makes.
    _wait(
        "the default ServiceAccount",
        lambda: kubectl("get", "serviceaccount", "default", "-n", "default", check=False).returncode == 0,
        60,
    )
