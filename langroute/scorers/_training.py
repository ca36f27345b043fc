"""numpy training of `LearnedScorer` (imported only by `LearnedScorer.fit`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from langroute.errors import ConfigError, InputError

__all__ = ["fit_logistic"]

Model = tuple[float, list[float], list[float], list[float], list[float]]


def fit_logistic(
    dense: Sequence[Sequence[float]],
    sparse: Sequence[Mapping[int, float]],
    labels: Sequence[float],
    *,
    sample_weights: Sequence[float] | None,
    buckets: int,
    l2: float,
    sparse_l2: float,
    epochs: int,
    learning_rate: float,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> Model:
    """Fit a logistic model with soft labels by full-batch Adam (deterministic for a given seed).

    Returns:
        ``(bias, dense_weights, dense_mean, dense_scale, ngram_weights)``.

    Raises:
        InputError: `sample_weights` are not `n` finite numbers >= 0 with a positive sum.
        ConfigError: the weights stopped being finite (too high a learning rate or L2 penalty); training stops at
            the first such epoch.
    """
    try:
        import numpy as np
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("LearnedScorer.fit needs numpy: pip install 'langroute[learn]'") from exc

    n = len(labels)
    x_dense = np.asarray(dense, dtype=float).reshape(n, -1)
    mean = x_dense.mean(axis=0)
    scale = x_dense.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z_dense = (x_dense - mean) / scale
    y = np.asarray(labels, dtype=float)
    try:
        weights = np.ones(n) if sample_weights is None else np.asarray(sample_weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"sample_weights: expected {n} finite numbers >= 0 ({exc})") from exc
    if weights.shape != (n,) or not np.isfinite(weights).all() or (weights < 0).any() or not weights.sum() > 0:
        raise InputError(f"sample_weights: expected {n} finite numbers >= 0 with a positive sum")
    weights = weights * (n / weights.sum())

    # sparse rows as flat arrays (CSR-like): row offsets, bucket ids, values
    counts = np.fromiter((len(row) for row in sparse), dtype=np.int64, count=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    cols = np.fromiter((k for row in sparse for k in row), dtype=np.int64, count=int(offsets[-1]))
    vals = np.fromiter((v for row in sparse for v in row.values()), dtype=float, count=int(offsets[-1]))

    rows = np.repeat(np.arange(n), counts)
    rng = np.random.default_rng(seed)
    params = [np.zeros(1), rng.normal(0.0, 0.01, z_dense.shape[1]), np.zeros(buckets)]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    # exp(-logit) overflows to inf for very negative logits (sigmoid 0, exact); a diverging run is caught by value
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, epochs + 1):  # full-batch Adam: deterministic given the seed
            logits = params[0][0] + z_dense @ params[1]
            logits += np.bincount(rows, weights=vals * params[2][cols], minlength=n)
            if not np.isfinite(logits).all():
                raise ConfigError(
                    f"fit diverged at epoch {step} of {epochs}: non-finite weights (learning_rate="
                    f"{learning_rate:g}, l2={l2:g}, sparse_l2={sparse_l2:g}); lower learning_rate (default 0.05) "
                    "or l2; the model is unchanged"
                )
            residual = (1.0 / (1.0 + np.exp(-logits)) - y) * weights / n
            grads = [
                np.array([residual.sum()]),
                z_dense.T @ residual + l2 * params[1],
                np.bincount(cols, weights=vals * residual[rows], minlength=buckets) + sparse_l2 * params[2],
            ]
            for p, g, m, v in zip(params, grads, moments, squares, strict=True):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= learning_rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
            if progress is not None:
                progress(step, epochs)
    return (
        float(params[0][0]),
        params[1].tolist(),
        mean.tolist(),
        scale.tolist(),
        params[2].tolist(),
    )
