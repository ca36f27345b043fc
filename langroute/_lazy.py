"""Lazy re-exports: a package names what it offers without importing the modules that hold it.

```python
__getattr__, __dir__ = lazy_exports(__name__, {"FeedbackStore": "langroute.feedback.store"}, __all__)
```

The first access imports the module and caches the value in the package, so later reads are plain attribute reads.
It keeps ``import langroute`` fast: SQLite, the learner and the model-backed scorers load only when used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping


def lazy_exports(
    package: str, names: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of `package`, serving `names` (name -> module) on first access."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
