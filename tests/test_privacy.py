"""Prompt text never reaches error messages or decision reasons (issue 12, section 5)."""

from __future__ import annotations

import pytest

from langroute import InputError, as_conversation

SECRET = "my card number is 4242"


@pytest.mark.parametrize(
    ("messages", "error", "says"),
    [
        ([SECRET], TypeError, "messages[0] is a str"),
        ([("user", "hi"), {SECRET}], TypeError, "messages[1] is a set"),
        ([(SECRET, "user")], InputError, "messages[0] has role str"),
    ],
)
def test_conversation_errors_name_the_type_and_index_never_the_text(messages, error, says):
    with pytest.raises(error) as caught:
        as_conversation(messages)
    assert says in str(caught.value)
    assert "4242" not in str(caught.value)


def test_a_mistyped_role_is_still_quoted_so_the_fix_is_obvious():
    with pytest.raises(InputError, match=r"has role 'humna'; expected one of"):
        as_conversation([("humna", "hi")])


def test_a_scorer_returning_text_is_named_by_type_not_quoted():
    from langroute import CallableScorer, ScoreError

    echo = CallableScorer(lambda conv: conv[-1][1], label="echo")
    with pytest.raises(ScoreError, match=r"returned a str; a scorer must return a float") as caught:
        echo.score(SECRET)
    assert "4242" not in str(caught.value)


def test_llm_scorer_reason_never_quotes_the_rating_models_reply():
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from langroute import LLMScorer

    echo = FakeListChatModel(responses=[f"You asked: {SECRET}. I cannot rate that."])
    score = LLMScorer(echo, default=0.4).explain("what is my card number?")
    assert score.value == 0.4
    assert score.reason == "no rating 0-10 in a 54-character reply; default 0.4"
    rated = LLMScorer(FakeListChatModel(responses=["Rating: 7/10"])).explain(SECRET)
    assert rated.reason == "model rated 7/10"
