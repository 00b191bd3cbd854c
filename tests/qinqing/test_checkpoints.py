"""A checkpoint is a name the domain marks; what happens there is a registered hook's
business, and with none it does nothing."""

from qinqing.checkpoints import CHECKPOINTS, checkpoint


def test_a_checkpoint_without_a_hook_does_nothing():
    assert "nobody-listens" not in CHECKPOINTS
    checkpoint("nobody-listens")  # no error, no effect


def test_a_registered_hook_is_called_at_its_checkpoint_only():
    heard = []
    CHECKPOINTS.register("test-point", heard.append)
    try:
        checkpoint("another-point")
        checkpoint("test-point")
    finally:
        CHECKPOINTS.unregister("test-point")
    checkpoint("test-point")
    assert heard == ["test-point"]
