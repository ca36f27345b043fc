import json

import pytest

from langroute.errors import InputError
from langroute.evaluation import by_dataset, group_folds, load_prompts, load_records
from langroute.evaluation.data import MAX_LINE_BYTES, read_lines


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_boolean_and_graded_records_with_dataset_defaults(tmp_path):
    path = _write(
        tmp_path / "mine.jsonl",
        [
            json.dumps({"prompt": "a", "weak_correct": True, "strong_correct": False}),
            "",
            json.dumps({"prompt": "b", "weak_score": 0.25, "strong_score": 1, "dataset": "other", "domain": "x"}),
        ],
    )
    first, second = load_records([path])
    assert (first.prompt, first.weak, first.strong, first.dataset, first.domain) == ("a", 1.0, 0.0, "mine", "mine")
    assert (second.weak, second.strong, second.dataset, second.domain) == (0.25, 1.0, "other", "x")
    assert first.label == 0.0
    assert second.label == pytest.approx(0.875)
    assert list(by_dataset([first, second])) == ["mine", "other"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "a JSON list, not an object"),
        ('{"prompt": 3, "weak_correct": true, "strong_correct": true}', '"prompt" is a JSON int; expected a string'),
        ('{"weak_correct": true, "strong_correct": true}', '"prompt" is missing; expected a string'),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON (nested too deeply)"),
        ('{"prompt": "p", "weak_score": ' + "1" * 5000 + "}", "invalid JSON (a number with too many digits)"),
        ('{"prompt": "p", "weak_score": NaN, "strong_score": 1}', '"weak_score" is nan'),
        (
            '{"prompt": "p", "weak_correct": ["a long label list"], "strong_correct": true}',
            '"weak_correct" is a JSON array',
        ),
        ('{"prompt": "p", "strong_correct": true}', 'no "weak_correct" or "weak_score"'),
        ('{"prompt": "p", "weak_correct": "yes", "strong_correct": true}', "\"weak_correct\" is 'yes'"),
        ('{"prompt": "p", "weak_score": 1.5, "strong_score": 1}', '"weak_score" is 1.5'),
    ],
)
def test_a_malformed_line_names_the_file_and_line(tmp_path, line, problem):
    good = json.dumps({"prompt": "ok", "weak_correct": True, "strong_correct": True})
    path = _write(tmp_path / "data.jsonl", [good, good, line])
    with pytest.raises(InputError) as info:
        load_records([path])
    assert f"{path}:3: " in str(info.value)
    assert problem in str(info.value)
    assert "weak_correct" in str(info.value)  # the expected format is spelled out


def test_no_records_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no records"):
        load_records([_write(tmp_path / "empty.jsonl", [""])])


def test_load_prompts_needs_only_a_prompt(tmp_path):
    path = _write(tmp_path / "p.jsonl", ['{"prompt": "hi"}', '{"text": "no prompt"}'])
    with pytest.raises(InputError, match=r"p\.jsonl:2: .*\"prompt\""):
        load_prompts([path])
    assert load_prompts([_write(tmp_path / "q.jsonl", ['{"prompt": "hi"}'])]) == ["hi"]


def test_folds_keep_domains_and_identical_prompts_together(tmp_path):
    rows = []
    for domain in "abcdefgh":
        rows += [{"prompt": f"{domain}{i}", "domain": domain, "dataset": "mmlu"} for i in range(5)]
    rows.append({"prompt": "a0", "domain": "h", "dataset": "mmlu"})  # a repeat links domains a and h
    rows += [{"prompt": "same", "dataset": "gsm8k"}, {"prompt": "same", "dataset": "gsm8k"}]
    rows += [{"prompt": f"g{i}", "dataset": "gsm8k"} for i in range(10)]
    for row in rows:
        row.update(weak_correct=True, strong_correct=True)
    records = load_records([_write(tmp_path / "r.jsonl", [json.dumps(r) for r in rows])])
    folds = group_folds(records, k=3, seed=0)
    assert folds == group_folds(records, k=3, seed=0)
    fold_of_domain = {}
    for record, fold in zip(records, folds, strict=True):
        if record.dataset == "mmlu":
            assert fold_of_domain.setdefault(record.domain, fold) == fold
    assert fold_of_domain["a"] == fold_of_domain["h"]
    same = [fold for record, fold in zip(records, folds, strict=True) if record.prompt == "same"]
    assert same[0] == same[1]
    assert set(folds) == {0, 1, 2}


def test_binary_files_name_the_file_line_and_byte(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b'{"prompt": "ok", "weak_correct": true, "strong_correct": true}\n{"prompt": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"data\.bin:2: not UTF-8 text \(byte 0xe9 at column 16\)"):
        load_records([path])
    with pytest.raises(InputError, match=r"data\.bin:2: not UTF-8 text"):
        load_prompts([path])


def test_a_line_longer_than_the_limit_is_refused_after_reading_only_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("langroute.evaluation.data.MAX_LINE_BYTES", 100)
    path = tmp_path / "long.jsonl"
    path.write_text('{"prompt": "ok"}\n' + "x" * 100 + "\n")
    assert [n for n, _ in read_lines(path)] == [1, 2]  # 100 bytes and a newline: the newline is not counted
    path.write_text('{"prompt": "ok"}\n' + "x" * 101)
    with pytest.raises(InputError, match=r"long\.jsonl:2: line longer than 100 bytes"):
        list(read_lines(path))
    assert MAX_LINE_BYTES == 4 * 1024 * 1024


def test_a_line_of_exactly_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr("langroute.evaluation.data.MAX_LINE_BYTES", 20)
    path = tmp_path / "edge.jsonl"
    path.write_text('{"prompt": "abcdef"}\n{"prompt": "abcdefg"}\n')  # 20 bytes + newline, then 21 + newline
    with pytest.raises(InputError, match=r"edge\.jsonl:2: line longer than 20 bytes"):
        load_prompts([path])


def test_a_byte_order_mark_is_allowed_on_the_first_line(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"prompt": "hi"}\n')
    assert load_prompts([path]) == ["hi"]
