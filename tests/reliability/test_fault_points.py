"""The fault injection of the reliability tests (sandbox/treasury/faults.py): armed only
when QINQING_FAULT names a checkpoint, and then it ends the process there, with the exit
code of a SIGKILL. (test_killed_worker.py watches a real worker die at the point.)"""

import os

import pytest

from qinqing.checkpoints import CHECKPOINTS, checkpoint
from sandbox.treasury import faults


class Died(Exception):
    pass


@pytest.fixture
def no_real_exit(monkeypatch):
    def exit_(code):
        raise Died(code)

    monkeypatch.setattr(os, "_exit", exit_)


def test_nothing_is_armed_without_the_setting(settings, no_real_exit):
    settings.QINQING_FAULT = ""
    assert faults.arm() == ""
    assert "after_treasury_call" not in CHECKPOINTS
    checkpoint("after_treasury_call")  # goes on


def test_the_named_checkpoint_ends_the_process(settings, no_real_exit):
    settings.QINQING_FAULT = "after_treasury_call"
    try:
        assert faults.arm() == "after_treasury_call"
        checkpoint("after_commit_of_something_else")  # other points go on
        with pytest.raises(Died) as died:
            checkpoint("after_treasury_call")
        assert died.value.args == (137,)
    finally:
        CHECKPOINTS.unregister("after_treasury_call")
