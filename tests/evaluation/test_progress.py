import io

from langroute.evaluation.progress import ProgressBar


def test_draws_when_enabled_and_ends_the_line():
    stream = io.StringIO()
    with ProgressBar("work", 4, enabled=True, stream=stream) as bar:
        for _ in range(4):
            bar.advance()
    text = stream.getvalue()
    assert text.endswith("4/4\n")
    assert "\rwork [" in text


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    with ProgressBar("work", 3, stream=stream) as bar:
        bar.update(3)
    assert stream.getvalue() == ""
