"""Serial scales: one module per protocol (a pure frame parser and the frames it reads),
a stability tracker shared by all, and the serial link that drives them."""

from __future__ import annotations

from edge.devices.scales import cas, sics, toledo8217, toledo_continuous, xk3190a9
from edge.devices.scales.frames import FrameParser, Reading, Reply

PARSERS: dict[str, type[FrameParser]] = {
    "cas": cas.CasParser,
    "toledo8217": toledo8217.Toledo8217Parser,
    "sics": sics.SicsParser,
    "toledo_continuous": toledo_continuous.ToledoContinuousParser,
    "xk3190a9": xk3190a9.Xk3190A9Parser,
}


class UnknownProtocol(ValueError):
    pass


def parser_for(protocol: str, unit: str = "kg") -> FrameParser:
    """A fresh parser for ``protocol``; ``unit`` is used by frames that carry none."""
    try:
        cls = PARSERS[protocol]
    except KeyError:
        raise UnknownProtocol(
            f"unknown scale protocol {protocol!r} (known: {', '.join(PARSERS)})"
        ) from None
    return cls(unit=unit)


__all__ = ["PARSERS", "FrameParser", "Reading", "Reply", "UnknownProtocol", "parser_for"]
