"""One registry shape (qinqing.registry) for everything an app plugs in."""

import pytest

from qinqing.registry import AlreadyRegistered, Registry


def test_register_directly_and_as_a_decorator():
    gateways = Registry("payment gateways")
    gateways.register("treasury", "the treasury")

    @gateways.register("demo")
    def demo():
        return "paid"

    assert gateways["treasury"] == "the treasury"
    assert gateways["demo"] is demo
    assert gateways.keys() == ["treasury", "demo"]
    assert "demo" in gateways and len(gateways) == 2


def test_a_key_registered_twice_is_a_mistake_unless_meant():
    adapters = Registry("adapters")
    adapters.register("tax", object())
    with pytest.raises(AlreadyRegistered):
        adapters.register("tax", object())
    real = object()
    adapters.register("tax", real, replace=True)
    assert adapters["tax"] is real


def test_an_unknown_key_names_the_registry():
    with pytest.raises(KeyError, match="event types"):
        Registry("event types")["claim.paid"]
