"""Loaded at start by qinqing's app (autodiscovered) when the sandbox is installed: the
simulated treasury becomes the "inprocess" payment gateway, registered the way a city's
real treasury adapter would be (subsidies.gateway.GATEWAYS), and the fault injection of
the reliability tests is armed when QINQING_FAULT names a checkpoint."""

from subsidies.gateway import GATEWAYS

from .faults import arm
from .simulation import SimulatedTreasury

GATEWAYS.register("inprocess", SimulatedTreasury)
arm()
