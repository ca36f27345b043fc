"""The feedback loop: record routing decisions and their outcomes, learn from them, and report on them.

```python
from langroute.feedback import FeedbackStore

store = FeedbackStore("sqlite:///feedback.db")   # or FeedbackStore() in memory, or "postgresql+psycopg://..."
```

`FeedbackLearner` adapts a scorer from the store's labelled records (see `langroute.feedback.learner`);
`Router.learn()` drives it. Each name is imported on first use, and needs only the standard library: numpy
(fitting), SQLAlchemy (PostgreSQL) and matplotlib (`langroute.feedback.report`) are imported when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langroute._lazy import lazy_exports

if TYPE_CHECKING:
    from langroute.feedback.learner import FeedbackLearner, FeedbackScorer
    from langroute.feedback.store import FeedbackStore
    from langroute.scorers._learned_features import featurize

__all__ = ["FeedbackLearner", "FeedbackScorer", "FeedbackStore", "featurize"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "FeedbackLearner": "langroute.feedback.learner",
        "FeedbackScorer": "langroute.feedback.learner",
        "FeedbackStore": "langroute.feedback.store",
        "featurize": "langroute.scorers._learned_features",
    },
    __all__,
)
