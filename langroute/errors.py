"""Exceptions raised by langroute.

The tree, drawn the way httpx draws its own::

    LangrouteError
    ├── ConfigError (ValueError)          bad constructor arguments: candidates, thresholds, weights, shares
    ├── InputError (ValueError)           a conversation or record that cannot be read
    ├── ScoreError (ValueError)           a scorer returned something outside [0, 1]
    └── AllCandidatesFailedError (RuntimeError)
                                          every candidate raised; ``.errors`` maps name -> exception

Bad input only ever raises ``ValueError``/``TypeError`` subclasses, so ``except ValueError`` keeps working
for callers that do not know this module.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["AllCandidatesFailedError", "ConfigError", "InputError", "LangrouteError", "ScoreError"]


class LangrouteError(Exception):
    """Base class of every error langroute raises on purpose."""


class ConfigError(LangrouteError, ValueError):
    """A constructor or function argument is invalid; the message names the field and the fix."""


class InputError(LangrouteError, ValueError):
    """A conversation (or a data record) cannot be read."""


class ScoreError(LangrouteError, ValueError):
    """A scorer produced a value that is not a finite number in [0, 1]."""


class AllCandidatesFailedError(LangrouteError, RuntimeError):
    """Every candidate model raised; ``errors`` keeps each one's exception, in the order tried."""

    def __init__(self, errors: Mapping[str, BaseException]) -> None:
        self.errors: dict[str, BaseException] = dict(errors)
        lines = [f"  {name}: {type(exc).__name__}: {exc}" for name, exc in self.errors.items()]
        super().__init__(f"all {len(self.errors)} candidate models failed:\n" + "\n".join(lines))
