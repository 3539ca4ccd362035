"""The two benchmarks' published metrics, implemented as ../shared/README.md describes them.

- article-extraction-benchmark: 4-token shingles (``\\w+`` runs, case kept), per-page TP/FP/FN
  from the shingle multisets normalised by their sum, precision and recall averaged over the
  pages where they are defined, F1 of the two means; accuracy = identical token lists.
- WCXB: lower-cased ``\\w+`` token multisets, per-page precision/recall/F1, F1 averaged; title,
  author and date exact match after normalising case, white space and dates (YYYY-MM-DD).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_SHINGLE = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def _shingles(toks: Sequence[str]) -> Counter[tuple[str, ...]]:
    if not toks:
        return Counter()
    if len(toks) < _SHINGLE:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + _SHINGLE]) for i in range(len(toks) - _SHINGLE + 1))


@dataclass(frozen=True)
class Score:
    f1: float
    precision: float
    recall: float
    extra: dict[str, float]


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def aeb_page(truth: str, pred: str) -> tuple[float, float, float, bool]:
    """(tp, fp, fn) normalised by their sum, and whether the token lists are identical."""
    t_tokens, p_tokens = tokens(truth), tokens(pred)
    t, p = _shingles(t_tokens), _shingles(p_tokens)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total:
        return tp / total, fp / total, fn / total, t_tokens == p_tokens
    return 0.0, 0.0, 0.0, t_tokens == p_tokens


def aeb_score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Score (truth, prediction) pairs with the article-extraction-benchmark metric."""
    precisions: list[float] = []
    recalls: list[float] = []
    identical = 0
    count = 0
    for truth, pred in pairs:
        count += 1
        tp, fp, fn, same = aeb_page(truth, pred)
        identical += same
        if tp + fp + fn == 0:  # both sides empty
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p, r = _mean(precisions), _mean(recalls)
    return Score(_f1(p, r), p, r, {"accuracy": identical / count if count else 0.0})


def wcxb_page(truth: str, pred: str) -> tuple[float, float, float]:
    """Per-page (precision, recall, F1) of lower-cased token multisets."""
    t = Counter(tokens(truth.lower()))
    p = Counter(tokens(pred.lower()))
    n_t, n_p = sum(t.values()), sum(p.values())
    if n_t == 0:
        value = 1.0 if n_p == 0 else 0.0
        return value, value, value
    if n_p == 0:
        return 0.0, 0.0, 0.0
    overlap = sum((t & p).values())
    precision, recall = overlap / n_p, overlap / n_t
    return precision, recall, _f1(precision, recall)


def norm_text(value: str | None) -> str:
    return _SPACE.sub(" ", (value or "")).strip().casefold()


_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def norm_date(value: str | None) -> str:
    """YYYY-MM-DD from an ISO-like date or date-time (empty if none)."""
    match = _YMD.search(value or "")
    return "-".join(match.groups()) if match else ""
