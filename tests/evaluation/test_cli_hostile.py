"""The CLI readers on hostile files and arguments: one line on stderr, exit 2, the file and line; bounded memory."""

from __future__ import annotations

import json

import pytest

from langroute._commands._common import dump_json
from langroute.cli import main

GOOD = '{"prompt": "hi", "weak_correct": true, "strong_correct": true}\n'
HARD = '{"prompt": "prove it", "weak_correct": false, "strong_correct": true}\n'


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(GOOD + HARD)
    return path


@pytest.mark.parametrize("command", [["eval"], ["calibrate", "--shares", "0.5,0.5"], ["train", "--out", "m.json"]])
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (GOOD.encode() + b"\xff\xfe\x00garbage\n", ":2: not UTF-8 text (byte 0xff at column 1)"),
        (GOOD.encode() + b"[" * 100_000 + b"]" * 100_000 + b"\n", ":2: invalid JSON (nested too deeply)"),
        (b'{"prompt": ["my secret prompt"], "weak_correct": true}\n', ":1: "),
    ],
)
def test_hostile_files_give_one_line_with_file_and_line_and_exit_2(tmp_path, capsys, command, content, says):
    path = tmp_path / "data.jsonl"
    path.write_bytes(content)
    assert main([command[0], "--data", str(path), *command[1:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"langroute {command[0]}: error: {path}{says}")
    assert "secret" not in err


def test_a_file_without_newlines_is_refused_at_the_line_limit(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("langroute.evaluation.data.MAX_LINE_BYTES", 1024)
    endless = tmp_path / "zeros.jsonl"
    endless.write_bytes(b"\0" * 5000)  # as --data /dev/zero, which the 4 MiB limit stops the same way
    assert main(["calibrate", "--data", str(endless), "--shares", "0.5,0.5"]) == 2
    assert (
        capsys.readouterr().err
        == f"langroute calibrate: error: {endless}:1: line longer than 1024 bytes; is this a JSON Lines file?\n"
    )


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--quality-target", "nan"], "--quality-target 'nan': expected a fraction in (0, 1]"),
        (["--quality-target", "5"], "--quality-target '5': expected a fraction in (0, 1]"),
        (["--quality-target", "0"], "--quality-target '0'"),
        (["--resamples", "-5"], "--resamples '-5': expected an integer >= 0"),
        (["--prices", "1,inf"], "--prices '1,inf': expected comma-separated finite numbers"),
        (["--prices", "nan,1"], "--prices 'nan,1'"),
    ],
)
def test_bad_numbers_are_argument_errors_with_exit_2(data, capsys, arguments, says):
    with pytest.raises(SystemExit) as caught:
        main(["eval", "--data", str(data), *arguments])
    assert caught.value.code == 2
    assert says in capsys.readouterr().err


def test_json_output_is_strict_json(data, capsys):
    assert main(["eval", "--data", str(data), "--resamples", "5", "--json"]) == 0

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    rows = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert rows[0]["metrics"]["quality_target"] == 0.95


def test_dump_json_writes_null_for_nan_and_infinity():
    data = {"a": float("nan"), "b": [1.0, float("inf"), (float("-inf"), 2)], "c": "NaN"}
    assert dump_json(data) == '{"a": null, "b": [1.0, null, [null, 2]], "c": "NaN"}'
