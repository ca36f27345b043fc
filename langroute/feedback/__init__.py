"""The feedback loop: record routing decisions and their outcomes, learn from them, and report on them.

```python
from langroute.feedback import FeedbackStore

store = FeedbackStore("sqlite:///feedback.db")   # or FeedbackStore() in memory, or "postgresql+psycopg://..."
```

`FeedbackLearner` adapts a scorer from the store's labelled records (see `langroute.feedback.learner`);
`Router.learn()` drives it. Only the standard library is imported here: numpy (fitting), SQLAlchemy (PostgreSQL)
and matplotlib (`langroute.feedback.report`) are imported when used.
"""

from __future__ import annotations

from langroute.feedback.learner import FeedbackLearner, FeedbackScorer
from langroute.feedback.store import FeedbackStore
from langroute.scorers._learned_features import featurize

__all__ = ["FeedbackLearner", "FeedbackScorer", "FeedbackStore", "featurize"]
