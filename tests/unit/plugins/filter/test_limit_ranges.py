# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.botcore.platform.plugins.filter.limit_ranges import FilterModule, limit_range_errors

RESOURCES = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}


def test_filter_module_exposes_limit_range_errors():
    assert FilterModule().filters() == {"limit_range_errors": limit_range_errors}


def test_a_container_within_the_bounds_passes():
    limits = {"max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "500m", "memory": "512Mi"}, "default": {"cpu": "9"}}
    assert limit_range_errors(RESOURCES, limits, "core_engine_resources") == []


def test_a_limit_above_max_and_a_request_below_min_are_refused():
    limits = {"max": {"cpu": "1500m"}, "min": {"memory": "600Mi"}}
    assert limit_range_errors(RESOURCES, limits, "core_engine_resources", "namespace_limits") == [
        "namespace_limits.max.cpu: 1500m is below core_engine_resources.limits.cpu (2); the namespace's LimitRange "
        "would refuse these pods",
        "namespace_limits.min.memory: 600Mi is above core_engine_resources.requests.memory (512Mi); the namespace's "
        "LimitRange would refuse these pods",
    ]


def test_unparseable_amounts_are_left_to_their_own_checks():
    assert limit_range_errors({"limits": {"cpu": "2 cores"}}, {"max": {"cpu": "1"}}, "x_resources") == []
    assert limit_range_errors(RESOURCES, {"max": {"cpu": "lots"}}, "x_resources") == []
    assert limit_range_errors(None, {"max": {"cpu": "1"}}, "x_resources") == []
