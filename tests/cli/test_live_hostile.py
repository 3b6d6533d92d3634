"""`stsviz --plain` against a server whose Status messages carry terminal escape sequences."""

from __future__ import annotations

from tests.cli.test_live import stsviz
from tests.fake_api import status


async def test_a_status_message_with_escapes_is_printed_as_text(api, tmp_path):
    forged = "\x1b]0;owned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J forbidden\nstsviz: error: a forged line\u202e"
    api.script("statefulsets", "list", status(403, "Forbidden\x1b[5m", forged))
    code, out, err = await stsviz("--kubeconfig", str(api.kubeconfig(tmp_path)), "--plain")
    assert code == 1, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("stsviz: error: "), err
    assert not any(char in err for char in "\x1b\x07\u202e"), repr(err)
    assert "forbidden" in err and "a forged line" in err  # the message is shown, as text


def test_api_errors_are_printable_where_they_are_made():
    """The status bar and logs show ApiError text too, not only the command's stderr."""
    from stsviz.sources.live.wire import ApiError, Unreachable

    error = ApiError.from_status(
        {"kind": "Status", "code": 500, "reason": "\x1b[31mBoom", "message": "\x1b]0;owned\x07 broke\n\u2066x"}, 500
    )
    for text in (str(error), error.message, error.reason, str(Unreachable("reset \x1b[2J\x9b2J"))):
        assert not any(char in text for char in "\x1b\x07\x9b\n\u2066"), repr(text)


def test_log_records_are_made_printable():
    import logging

    from stsviz.model.text import PrintableFilter

    record = logging.LogRecord("stsviz.live", logging.WARNING, __file__, 1, "pods: %s", ("\x1b]0;owned\x07",), None)
    assert PrintableFilter().filter(record)
    assert record.getMessage() == "pods: \ufffd]0;owned\ufffd"
