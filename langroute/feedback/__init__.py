"""The feedback loop: record routing decisions and their outcomes, learn from them, and report on them.

```python
from langroute.feedback import FeedbackStore

store = FeedbackStore("sqlite:///feedback.db")   # or FeedbackStore() in memory, or "postgresql+psycopg://..."
```

Only the standard library is imported here: SQLAlchemy (PostgreSQL) and matplotlib (`langroute.feedback.report`)
are imported when used.
"""

from __future__ import annotations

from langroute.feedback.store import FeedbackStore

__all__ = ["FeedbackStore"]
