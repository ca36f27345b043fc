"""`TransferScorer`: pinned scores of the shipped model, persistence, errors, registry, pure-Python inference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langroute import InputError, TransferScorer, get_scorer
from langroute.conversation import as_conversation
from langroute.scorers._transfer_features import FEATURES, extract
from langroute.scorers.transfer import PRETRAINED_PATH

GSM8K = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)
MMLU = (
    "Which of the following is NOT a characteristic of a monopolistically competitive market?\n"
    "A. Many sellers\nB. Differentiated products\nC. Free entry and exit\n"
    "D. A perfectly inelastic demand curve\nAnswer:"
)
# Recorded (as float.hex) from the shipped transfer-v1.json; retraining the model updates them in the same commit.
PINNED = {
    "hi": "0x1.6da1d32fa2c2dp-7",
    GSM8K: "0x1.2edc98009fd9bp-1",
    MMLU: "0x1.756b9703eb5cfp-2",
    "Write a Python function that merges k sorted lists; explain its complexity.": "0x1.983bb4078dfbdp-4",
    "Prove that ∑ 1/n² = π²/6; naïve café, Größe ≥ 5.": "0x1.564fca636f210p-4",
    "": "0x1.f92c9189ee118p-5",
}


@pytest.fixture(scope="module")
def scorer() -> TransferScorer:
    return TransferScorer.pretrained()


@pytest.mark.parametrize("prompt", list(PINNED))
def test_pretrained_scores_are_pinned(scorer: TransferScorer, prompt: str) -> None:
    assert scorer.score(prompt).hex() == PINNED[prompt]


def test_a_long_multi_step_word_problem_outranks_a_greeting(scorer: TransferScorer) -> None:
    assert scorer.score("hi") < 0.05 < 0.5 < scorer.score(GSM8K)


def test_reason_names_the_features_that_pushed_most(scorer: TransferScorer) -> None:
    assert scorer.explain("hi").reason == "log_chars-0.24, log_words-0.17, type_token-0.08"


def test_shipped_model_weights_five_cheap_features_and_records_its_recipe(scorer: TransferScorer) -> None:
    assert set(scorer.weights) == {"log_chars", "log_words", "type_token", "steps", "log_context"}
    assert scorer.metadata["recipe"] == "python benchmarks/train_transfer.py"
    assert len(scorer.metadata["families"]) == 16


def test_features_are_computed_by_name_in_the_order_asked() -> None:
    conversation = as_conversation("Explain why, step by step: how many apples are left?\nA. 3\nB. 4")
    values = dict(zip(FEATURES, extract(conversation), strict=True))
    assert extract(conversation, ["steps", "options", "log_chars"]) == [
        values["steps"],
        values["options"],
        values["log_chars"],
    ]
    picked = (values["answer_number"], values["answer_prose"], values["answer_long"], values["options"])
    assert picked == (0.5, 0.5, 0.5, 0.5)
    with pytest.raises(KeyError):
        extract(conversation, ["nope"])


def test_save_and_load_round_trip(scorer: TransferScorer, tmp_path: Path) -> None:
    path = scorer.save(tmp_path / "model.json")
    again = TransferScorer.load(path)
    assert again.to_dict() == scorer.to_dict()
    assert again.score(GSM8K) == scorer.score(GSM8K)


def test_get_scorer_builds_the_pretrained_model(scorer: TransferScorer) -> None:
    assert get_scorer("transfer").score(MMLU) == scorer.score(MMLU)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "langroute.learned-scorer"}, "not a langroute transfer-scorer model"),
        ({"version": 99}, "model version 99 is not supported"),
        ({"features": {"nope": {"weight": 1.0, "mean": 0.0, "scale": 1.0}}}, "unknown features ['nope']"),
        ({"output": {"center": 0.0, "spread": 0.0}}, "spread=0.0: expected a number > 0"),
        ({"bias": "x"}, "bias='x': expected a finite number"),
        ({"features": {"steps": {"weight": float("nan"), "mean": 0.0, "scale": 1.0}}}, "weights['steps']=nan"),
        ({"output": None}, "corrupt transfer-scorer model"),
    ],
)
def test_bad_model_files_raise_input_error_naming_the_problem(
    scorer: TransferScorer, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = {**scorer.to_dict(), **change}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        TransferScorer.load(path)


def test_invalid_json_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        TransferScorer.load(path)


def test_scoring_imports_no_numpy() -> None:
    code = (
        "import sys; from langroute import TransferScorer; "
        "TransferScorer.pretrained().score('Write a haiku about routers'); print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_shipped_weights_file_is_small() -> None:
    assert PRETRAINED_PATH.stat().st_size < 20_000


ASCII_EDGES = [
    "",
    "  \t\n",
    "Hello, WORLD! x_y-z 3.14 ÷",
    "".join(map(chr, range(128))) * 3,
    "A\x0bB\x0cC\x1cD\x1dE\x1eF\x1fG\x00H\x7fI",
    "MiXeD CaSe wOrDs 123abc ABC123 __init__ a.b.c",
]


@pytest.mark.parametrize("text", ASCII_EDGES)
def test_ascii_text_is_split_into_the_same_words_as_the_general_reader(text: str) -> None:
    from langroute.scorers._transfer_features import _TO_WORDS, _Text

    words = _Text(as_conversation(text)).words
    assert words == text.lower().translate(_TO_WORDS).split()
    assert all(type(word) is str for word in words)


def test_async_rating_runs_inline_at_any_size(scorer: TransferScorer) -> None:
    import asyncio
    import threading

    seen: list[str] = []

    class Spy(TransferScorer):
        def rate(self, conversation):  # type: ignore[no-untyped-def]
            seen.append(threading.current_thread().name)
            return super().rate(conversation)

    spy = Spy.from_dict(scorer.to_dict())
    big = as_conversation("word " * 300_000)
    assert asyncio.run(spy.ascore(big)) == scorer.score(big)
    assert seen == [threading.main_thread().name]
