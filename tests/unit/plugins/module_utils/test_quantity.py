# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from decimal import Decimal

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.quantity import (
    format_quantity,
    parse_integer,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, Decimal(2)),
        (0, Decimal(0)),
        (0.5, Decimal("0.5")),
        (1e-05, Decimal("0.00001")),
        ("2", Decimal(2)),
        ("+2", Decimal(2)),
        ("-2", Decimal(-2)),
        ("1.5", Decimal("1.5")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("100n", Decimal("0.0000001")),
        ("250u", Decimal("0.00025")),
        ("500m", Decimal("0.5")),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1G", Decimal(10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("1Ki", Decimal(1024)),
        ("1Mi", Decimal(2**20)),
        ("1Gi", Decimal(2**30)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("1e+3", Decimal(1000)),
        ("15e-1", Decimal("1.5")),
        ("-1Gi", Decimal(-(2**30))),
    ],
)
def test_parse_quantity(value, expected):
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "12x",
        "",
        " 1",
        "1 ",
        "1.5.5",
        "1K",
        "1ki",
        "1e",
        "1e1.5",
        "1e3m",
        "Gi",
        "m",
        "1Gi1",
        "--1",
        "nan",
        "inf",
        None,
        True,
        False,
        [1],
        {"cpu": 1},
        float("nan"),
        float("inf"),
        "1e999999999",
        "1e-999999999",
    ],
)
def test_parse_quantity_rejects(value):
    with pytest.raises(ValueError, match="is not a Kubernetes quantity") as info:
        parse_quantity(value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(
    ("value", "binary", "expected"),
    [
        (Decimal(42), False, "42"),
        (Decimal("42.000"), False, "42"),
        (Decimal("6.5"), False, "6500m"),
        (Decimal("0.25"), False, "250m"),
        (Decimal("0.0001"), False, "0.0001"),
        (Decimal(0), False, "0"),
        (Decimal(2**30), True, "1Gi"),
        (Decimal(26 * 2**30), True, "26Gi"),
        (Decimal(3 * 2**29), True, "1536Mi"),
        (Decimal(2**60), True, "1Ei"),
        (Decimal(1536), True, "1536"),
        (Decimal(10**9), True, "1000000000"),
        (Decimal(1000), True, "1000"),
        (Decimal(0), True, "0"),
    ],
)
def test_format_quantity(value, binary, expected):
    assert format_quantity(value, binary=binary) == expected


@pytest.mark.parametrize("text", ["1", "500m", "1.5Gi", "26Gi", "0.0001", "7e2"])
def test_format_quantity_round_trips(text):
    value = parse_quantity(text)
    assert parse_quantity(format_quantity(value)) == value
    assert parse_quantity(format_quantity(value, binary=True)) == value


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (3, 3), (-2, -2), ("3", 3), ("+3", 3), ("-1", -1), ("007", 7)])
def test_parse_integer(value, expected):
    result = parse_integer(value)
    assert result == expected
    assert isinstance(result, int)


@pytest.mark.parametrize("value", [True, False, None, 1.0, 2.5, "", "3.0", "three", " 3", "1e3", [3]])
def test_parse_integer_rejects(value):
    with pytest.raises(ValueError, match="is not an integer") as info:
        parse_integer(value)
    assert repr(value) in str(info.value)
