"""python -m tools.localcluster {build,up,down,status,kubeconfig}"""

import argparse
import json
import shutil
import sys
from pathlib import Path

from . import build, local, providers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="localcluster", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build (or reuse) the cluster binaries and print their build records")
    p_up = sub.add_parser("up", help="start the cluster (a no-op when it already runs)")
    p_up.add_argument("--topology", default="default", help="a name under topologies/ or a .json path")
    p_up.add_argument("--kubeconfig", type=Path, help="also copy the kubeconfig here (e.g. a Molecule ephemeral dir)")
    sub.add_parser("down", help="stop exactly the processes `up` started and remove the cluster state")
    sub.add_parser("status", help="print the cluster state as JSON; exit 3 when the API is not ready")
    sub.add_parser("kubeconfig", help="print the kubeconfig path and nothing else")
    p_bin = sub.add_parser("bin", help="print the path of a binary (kubectl, helm, ...): built, or kind's from PATH")
    p_bin.add_argument("binary")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(json.dumps(build.ensure(), indent=2))
        elif args.command == "up":
            providers.up(args.topology)
            if args.kubeconfig:
                args.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(providers.kubeconfig_path(), args.kubeconfig)
        elif args.command == "down":
            print(providers.down(), file=sys.stderr)
        elif args.command == "status":
            state = providers.status()
            print(json.dumps(state, indent=2))
            return 0 if state["api_ready"] else 3
        elif args.command == "kubeconfig":
            print(providers.kubeconfig_path())
        elif args.command == "bin":
            print(providers.binary(args.binary))
    except local.ClusterError as exc:
        print(f"localcluster: {exc}", file=sys.stderr)
        return 1
    return 0
