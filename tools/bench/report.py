"""Medians, ratios and the printed tables of `make bench`. Pure: samples in, numbers and text out."""

import statistics

ANCHORS = ("site.yml", "naive", "helm", "kubectl", "floor", "empty play")
OPERATIONS = ("converge", "no-op", "check")
# numerator, denominator: the questions (how far from Helm and kubectl, how much better than naive).
RATIOS = (("site.yml", "helm"), ("site.yml", "kubectl"), ("naive", "site.yml"))
DESCRIPTIONS = {
    "site.yml": "site.yml -e platform_wait=false (the collection)",
    "naive": "one kubernetes.core.k8s task per object",
    "helm": "helm upgrade --install of a chart of the render",
    "kubectl": "kubectl apply --server-side of the render",
    "floor": "one kubernetes.core.k8s task, every object",
    "empty play": "an Ansible play with no task",
}


class ReportError(ValueError):
    pass


def summarize(samples):
    """{anchor: {operation: medians}} of samples [{anchor, operation, wall, cpu, tasks?, changed?}]."""
    grouped = {}
    for sample in samples:
        for key in ("anchor", "operation", "wall", "cpu"):
            if key not in sample:
                raise ReportError(f"a sample without {key}: {sample}")
        grouped.setdefault(sample["anchor"], {}).setdefault(sample["operation"], []).append(sample)
    if not grouped:
        raise ReportError("no sample to summarize")
    summary = {}
    for anchor, operations in grouped.items():
        for operation, runs in operations.items():
            entry = {
                "rounds": len(runs),
                "wall": statistics.median(r["wall"] for r in runs),
                "cpu": statistics.median(r["cpu"] for r in runs),
                "walls": [r["wall"] for r in runs],
            }
            # Ansible's counts are the same each round; the largest shows a round that did more.
            for key in ("tasks", "changed"):
                if any(key in r for r in runs):
                    entry[key] = max(r.get(key, 0) for r in runs)
            summary.setdefault(anchor, {})[operation] = entry
    return summary


def ratios(summary):
    """{operation: {"a/b": wall ratio}} for every pair of RATIOS both measured in that operation."""
    result = {}
    for operation in OPERATIONS:
        for a, b in RATIOS:
            try:
                numerator, denominator = summary[a][operation]["wall"], summary[b][operation]["wall"]
            except KeyError:
                continue
            if denominator <= 0:
                raise ReportError(f"{b} {operation}: a median of {denominator} s cannot divide")
            result.setdefault(operation, {})[f"{a}/{b}"] = numerator / denominator
    return result


def table(summary, ratio_table):
    """The printed report: one row per anchor, wall and controller CPU (median) and tasks per operation."""
    head = f"{'anchor':<11}" + "".join(f" | {op + ' wall':>15} {'cpu':>6} {'tasks':>5}" for op in OPERATIONS)
    lines = [head, "-" * len(head)]
    for anchor in [a for a in ANCHORS if a in summary] + sorted(set(summary) - set(ANCHORS)):
        cells = []
        for operation in OPERATIONS:
            m = summary[anchor].get(operation)
            if m is None:
                cells.append(f" | {'':>15} {'':>6} {'':>5}")
            else:
                tasks = m.get("tasks", "")
                cells.append(f" | {m['wall']:>13.2f} s {m['cpu']:>6.2f} {tasks!s:>5}")
        lines.append(f"{anchor:<11}" + "".join(cells))
    lines.append("")
    lines.extend(f"  {anchor:<11} {text}" for anchor, text in DESCRIPTIONS.items() if anchor in summary)
    lines.append("")
    for operation, pairs in ratio_table.items():
        lines.append(f"{operation:<9} " + "   ".join(f"{pair} {value:.1f}x" for pair, value in pairs.items()))
    return "\n".join(lines)


def fleet_summary(samples, size):
    """Medians of the fleet's no-ops [{clusters, wall, cpu}] for 1 and size clusters, and size's ratio to 1."""
    by_size = {}
    for sample in samples:
        by_size.setdefault(sample["clusters"], []).append(sample)
    if set(by_size) != {1, size}:
        raise ReportError(f"fleet samples for {sorted(by_size)} clusters; expected 1 and {size}")
    summary = {
        n: {
            "rounds": len(runs),
            "wall": statistics.median(r["wall"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "walls": [r["wall"] for r in runs],
        }
        for n, runs in sorted(by_size.items())
    }
    for n, entry in summary.items():
        entry["cpu_per_cluster"] = entry["cpu"] / n
    ratio = {key: summary[size][key] / summary[1][key] for key in ("wall", "cpu")}
    return {"clusters": summary, "ratio": ratio}


def fleet_table(report, size):
    lines = [f"{'clusters':>8} {'no-op wall':>11} {'cpu':>8} {'cpu/cluster':>12}"]
    for n, m in report["clusters"].items():
        lines.append(f"{n:>8} {m['wall']:>9.2f} s {m['cpu']:>6.2f} s {m['cpu_per_cluster']:>10.2f} s")
    lines.append(f"{size} vs 1: wall {report['ratio']['wall']:.2f}x, cpu {report['ratio']['cpu']:.2f}x")
    return "\n".join(lines)
