"""devtools/server_logs.py: which log lines are errors, and which were expected."""

from devtools.server_logs import error_lines, unexpected

LOG = """\
2026-12-03 14:45:16 INFO     root  - Starting Rasa server
2026-12-03 14:56:07 ERROR    rasa.core.nlg.interpolator  - {"placeholder_key": "x"}
2026-12-03 14:56:07 [error    ] interpolator.interpolate.text placeholder_key=x
Traceback (most recent call last):
  File "x.py", line 1, in <module>
[2026-12-03 14:56:08 +0000] [42] [ERROR] Exception occurred while handling uri
an ordinary line that says error in lower case
"""


def test_error_lines_of_each_logger_and_tracebacks():
    found = error_lines("rasa.log", LOG)
    assert [error.number for error in found] == [2, 3, 4, 6]
    assert str(found[0]).startswith("rasa.log:2: ")


def test_expected_errors_and_the_traceback_right_after_them_are_excused():
    found = error_lines("rasa.log", LOG)
    left = unexpected(found, [r"interpolate\.text"])
    assert [error.number for error in left] == [2, 6]
    assert unexpected(found, []) == found


def test_a_traceback_far_from_an_expected_error_still_counts():
    log = "x ERROR expected\n" + "fine\n" * 10 + "Traceback (most recent call last):\n"
    left = unexpected(error_lines("a.log", log), ["expected"])
    assert [error.number for error in left] == [12]
