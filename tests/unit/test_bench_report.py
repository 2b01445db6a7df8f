"""Medians, ratios and tables of `make bench` (tools/bench/report.py)."""

import pytest

from tools.bench import report


def sample(anchor, operation, wall, cpu=None, **extra):
    return {"anchor": anchor, "operation": operation, "wall": wall, "cpu": wall if cpu is None else cpu, **extra}


SAMPLES = [
    *(sample("site.yml", "no-op", w, tasks=100, changed=0) for w in (20.0, 30.0, 10.0)),
    *(sample("helm", "no-op", w) for w in (2.0, 1.0, 4.0)),
    *(sample("kubectl", "no-op", w) for w in (0.5, 0.5, 0.6)),
    *(sample("naive", "no-op", w, tasks=48) for w in (40.0, 40.0, 45.0)),
    sample("site.yml", "converge", 21.0, tasks=101, changed=30),
    sample("helm", "converge", 3.0),
]


def test_summarize_takes_medians_per_anchor_and_operation():
    summary = report.summarize(SAMPLES)
    assert summary["site.yml"]["no-op"]["wall"] == 20.0
    assert summary["site.yml"]["no-op"]["rounds"] == 3
    assert summary["site.yml"]["no-op"]["walls"] == [20.0, 30.0, 10.0]
    assert summary["helm"]["no-op"]["wall"] == 2.0
    assert summary["site.yml"]["no-op"]["tasks"] == 100
    assert "tasks" not in summary["helm"]["no-op"]


def test_summarize_keeps_the_largest_task_count():
    summary = report.summarize([sample("naive", "check", 1.0, tasks=48), sample("naive", "check", 1.0, tasks=50)])
    assert summary["naive"]["check"]["tasks"] == 50


def test_summarize_refuses_no_samples_and_incomplete_ones():
    with pytest.raises(report.ReportError, match="no sample"):
        report.summarize([])
    with pytest.raises(report.ReportError, match="without cpu"):
        report.summarize([{"anchor": "helm", "operation": "no-op", "wall": 1.0}])


def test_ratios_of_the_issue_where_both_sides_were_measured():
    ratios = report.ratios(report.summarize(SAMPLES))
    assert ratios["no-op"] == pytest.approx({"site.yml/helm": 10.0, "site.yml/kubectl": 40.0, "naive/site.yml": 2.0})
    # No kubectl or naive converge in the samples: only site.yml/helm.
    assert ratios["converge"] == pytest.approx({"site.yml/helm": 7.0})
    assert "check" not in ratios


def test_ratios_refuse_a_zero_median():
    summary = report.summarize([sample("site.yml", "check", 5.0), sample("helm", "check", 0.0)])
    with pytest.raises(report.ReportError, match="helm check"):
        report.ratios(summary)


def test_table_lists_anchors_in_order_with_wall_cpu_tasks_and_ratios():
    summary = report.summarize(SAMPLES)
    lines = report.table(summary, report.ratios(summary)).splitlines()
    rows = [line.split()[0] for line in lines[2:6]]
    assert rows == ["site.yml", "naive", "helm", "kubectl"]
    assert "20.00 s  20.00   100" in lines[2]
    assert "no-op     site.yml/helm 10.0x   site.yml/kubectl 40.0x   naive/site.yml 2.0x" in lines


def test_fleet_summary_ratio_of_n_to_one():
    samples = [
        {"clusters": 1, "wall": 10.0, "cpu": 9.0},
        {"clusters": 1, "wall": 12.0, "cpu": 11.0},
        {"clusters": 3, "wall": 16.0, "cpu": 30.0},
        {"clusters": 3, "wall": 18.0, "cpu": 33.0},
    ]
    summary = report.fleet_summary(samples, 3)
    assert summary["clusters"][1]["wall"] == 11.0
    assert summary["clusters"][3]["cpu_per_cluster"] == pytest.approx(10.5)
    assert summary["ratio"] == pytest.approx({"wall": 17.0 / 11.0, "cpu": 31.5 / 10.0})
    assert "3 vs 1: wall 1.55x, cpu 3.15x" in report.fleet_table(summary, 3)


def test_fleet_summary_refuses_missing_sizes():
    with pytest.raises(report.ReportError, match="expected 1 and 3"):
        report.fleet_summary([{"clusters": 1, "wall": 1.0, "cpu": 1.0}], 3)
