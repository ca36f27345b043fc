"""Exceptions raised by langroute.

The tree, drawn the way httpx draws its own::

    LangrouteError
    ├── ConfigError (ValueError)          bad constructor arguments: candidates, thresholds, weights, shares
    │   └── NoCapableCandidateError       no candidate can serve the request (images, tools, context window...)
    ├── InputError (ValueError)           a conversation or record that cannot be read
    ├── ScoreError (ValueError)           a scorer returned something outside [0, 1]
    ├── CandidateTimeoutError (TimeoutError)
    │                                     a candidate did not answer within its timeout
    └── AllCandidatesFailedError          two or more candidates were tried and every one raised; ``.errors``
                                          maps name -> exception. Raised as a subclass of the error class the
                                          failures share too (see `all_candidates_failed`)

Bad input only ever raises ``ValueError``/``TypeError`` subclasses, so ``except ValueError`` keeps working
for callers that do not know this module.

When only one candidate was tried (a single candidate, a forced route, ``fallbacks=False``, nothing left to fall
back to) the candidate's own exception escapes unchanged: the router is transparent to ``except RateLimitError``,
retry policies and middleware that match on the provider's error classes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

__all__ = [
    "AllCandidatesFailedError",
    "CandidateTimeoutError",
    "ConfigError",
    "InputError",
    "LangrouteError",
    "NoCapableCandidateError",
    "ScoreError",
    "all_candidates_failed",
]


class LangrouteError(Exception):
    """Base class of every error langroute raises on purpose."""


class ConfigError(LangrouteError, ValueError):
    """A constructor or function argument is invalid; the message names the field and the fix."""


class NoCapableCandidateError(ConfigError):
    """No candidate of the ladder can serve the request; the message names what is missing."""


class InputError(LangrouteError, ValueError):
    """A conversation (or a data record) cannot be read."""


class ScoreError(LangrouteError, ValueError):
    """A scorer produced a value that is not a finite number in [0, 1]."""


class CandidateTimeoutError(LangrouteError, TimeoutError):
    """A candidate did not answer (or send its next chunk) within its timeout; the router falls back."""

    def __init__(self, candidate: str, timeout: float, *, what: str = "answer") -> None:
        self.candidate = candidate
        self.timeout = timeout
        super().__init__(f"candidate {candidate!r} timed out: no {what} within {timeout:g} s")


class AllCandidatesFailedError(LangrouteError):
    """Every candidate tried raised; ``errors`` keeps each one's exception, in the order tried.

    The instance raised by the router is also an instance of the most specific exception class that all the
    failures share (``openai.RateLimitError``, ``ConnectionError``...; `RuntimeError` when they share none), and
    carries the last such error's attributes (``response``, ``status_code``...). So ``except RateLimitError``,
    LangGraph's ``RetryPolicy`` and LangChain's ``ModelRetryMiddleware(retry_on=...)`` match it as they would
    match the candidate's own error. Build one with `all_candidates_failed`.
    """

    def __init__(self, errors: Mapping[str, BaseException]) -> None:
        self.errors: dict[str, BaseException] = dict(errors)
        lines = [f"  {name}: {type(exc).__name__}: {exc}" for name, exc in self.errors.items()]
        message = f"all {len(self.errors)} candidate models failed:\n" + "\n".join(lines)
        Exception.__init__(self, message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return (all_candidates_failed, (self.errors,))


_GENERIC: tuple[type[BaseException], ...] = (BaseException, Exception, object)


def all_candidates_failed(errors: Mapping[str, BaseException]) -> AllCandidatesFailedError:
    """The `AllCandidatesFailedError` for `errors`, also an instance of the class the errors have in common.

    The common class is the most specific class, in the last error's MRO, of which every error is an instance
    (`RuntimeError` when that would be only `Exception`). The last error lends its attributes.
    Where Python cannot combine the two classes (an instance layout conflict between two built-in exception
    types), the result is an `AllCandidatesFailedError` that is also a `RuntimeError`.
    """
    failures = list(errors.values())
    common = _common_class(failures) if failures else RuntimeError
    cls = _combined(common)
    error = cls.__new__(cls, *failures[-1].args) if failures and common is not RuntimeError else cls.__new__(cls)
    if common is not RuntimeError:
        for name, value in vars(failures[-1]).items():
            if not name.startswith("__"):
                try:
                    setattr(error, name, value)
                except AttributeError:  # a read-only property of the provider's class
                    continue
    AllCandidatesFailedError.__init__(error, errors)
    return error


def _common_class(failures: list[BaseException]) -> type[BaseException]:
    for cls in type(failures[-1]).__mro__:
        if cls in _GENERIC:
            break
        if all(isinstance(error, cls) for error in failures):
            return cls
    return RuntimeError


@functools.lru_cache(maxsize=256)
def _combined(common: type[BaseException]) -> type[AllCandidatesFailedError]:
    """``AllCandidatesFailedError`` mixed with `common` (cached: one class per common error class)."""
    name = f"AllCandidatesFailedError[{common.__name__}]"
    attrs = {"__module__": __name__, "__qualname__": name, "__doc__": AllCandidatesFailedError.__doc__}
    try:
        return type(name, (AllCandidatesFailedError, common), attrs)
    except TypeError:  # layout conflict or a final class: keep the historical RuntimeError base
        if common is RuntimeError:
            raise
        return _combined(RuntimeError)
