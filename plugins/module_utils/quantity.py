# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of Kubernetes quantities and integer fields, shared by the filters and modules."""

from __future__ import annotations

import re
from decimal import Decimal, DecimalException

SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

# Binary suffixes, largest first, for rendering byte counts the way people write them.
_BINARY_SUFFIXES = ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki")

# resource.Quantity grammar. A bare "E" is the exa suffix; "E" or "e" followed by digits is an exponent.
_QUANTITY_RE = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:[eE](?P<exponent>[+-]?[0-9]+)|(?P<suffix>[KMGTPE]i|[numkMGTPE]))?"
)

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


def parse_quantity(value):
    """Return a Kubernetes quantity (``500m``, ``1Gi``, ``1e3``, ``2``, ``0.5``) as a Decimal.

    Signs are accepted; rejecting negative amounts is up to the caller. Raises ValueError otherwise.
    """
    # Numbers print in quantity syntax; bool is an int subclass, but true/false here is always a mistake.
    text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    match = _QUANTITY_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    number = Decimal(match.group("number"))
    if match.group("exponent") is not None:
        try:
            return number.scaleb(int(match.group("exponent")))
        except DecimalException as exc:
            raise ValueError(f"{value!r} is not a Kubernetes quantity (exponent out of range)") from exc
    if match.group("suffix") is not None:
        return number * SUFFIXES[match.group("suffix")]
    return number


def format_quantity(value, binary=False):
    """Render a Decimal as a Kubernetes quantity: byte counts with binary suffixes, CPU in cores or millicores."""
    if binary:
        for suffix in _BINARY_SUFFIXES:
            scaled = value / SUFFIXES[suffix]
            if scaled == scaled.to_integral_value() and scaled != 0:
                return f"{int(scaled)}{suffix}"
    elif value != value.to_integral_value():
        millis = value * 1000
        if millis == millis.to_integral_value():
            return f"{millis.to_integral_value():f}m"
    return f"{value.normalize():f}"


def parse_integer(value):
    """Return an integer field (replica count, port, percentage) given as an int or a string of digits.

    Strings are accepted because extra vars (``-e replicas=3``) arrive as strings. Raises ValueError otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) and _INTEGER_RE.fullmatch(value):
        return int(value)
    raise ValueError(f"{value!r} is not an integer")
