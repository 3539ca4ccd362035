"""Extraction benchmark: archiver vs trafilatura vs readability-lxml, in one run.

Scores each extractor on ../shared/data/article-extraction-benchmark (its published shingle
metric) and on ../shared/data/wcxb-dev-articles (per-page word F1 plus title / author / date
exact match), times it (one process, parsing included, file reading excluded: every page is
read and decompressed into memory first), prints a table and rewrites the ``extraction``
section of docs/benchmarks.md.

    python benchmarks/extraction/run.py                 # everything, updates the doc
    python benchmarks/extraction/run.py --only archiver --no-write --limit 100

Configurations: trafilatura runs as ``trafilatura.extract(html)`` (default settings) where only
text is scored (the article-extraction benchmark) and as
``bare_extraction(html, url=url, with_metadata=True)`` on WCXB, where metadata is scored too.
readability-lxml gives text only (its summary HTML rendered to text).  Authors: a list is
joined with ", " for every tool (trafilatura's "; " separator included) before matching.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import gzip
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(ROOT / "src"))

from machine import cpu_model  # noqa: E402
from metrics import (  # noqa: E402
    _f1,
    _mean,
    aeb_score,
    norm_date,
    norm_text,
    wcxb_page,
)

DATA = ROOT.parent / "shared" / "data"
AEB = DATA / "article-extraction-benchmark"
WCXB = DATA / "wcxb-dev-articles"
DOC = ROOT / "docs" / "benchmarks.md"


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    truth: dict[str, Any]


@dataclass
class Prediction:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None


Extractor = Callable[[bytes, str], Prediction]


def load_aeb(limit: int | None) -> list[Page]:
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[:limit]:
        html = gzip.decompress((AEB / "html" / f"{key}.html.gz").read_bytes())
        pages.append(Page(key, truth[key]["url"], html, {"text": truth[key]["articleBody"]}))
    return pages


def load_wcxb(limit: int | None) -> list[Page]:
    pages = []
    for path in sorted((WCXB / "ground-truth").glob("*.json"))[:limit]:
        record = json.loads(path.read_text(encoding="utf-8"))
        html = gzip.decompress((WCXB / "html" / f"{path.stem}.html.gz").read_bytes())
        pages.append(Page(path.stem, record["url"], html, record["ground_truth"]))
    return pages


# -- extractors --------------------------------------------------------------------------


def archiver_extractor() -> Extractor:
    from archiver.extract import extract

    def run(html: bytes, url: str) -> Prediction:
        article = extract(html, url=url)
        published = article.published.isoformat() if article.published else None
        return Prediction(article.text, article.title, ", ".join(article.authors), published)

    return run


def trafilatura_text() -> Extractor:
    import trafilatura

    def run(html: bytes, url: str) -> Prediction:
        return Prediction(trafilatura.extract(html) or "")

    return run


def trafilatura_metadata() -> Extractor:
    from trafilatura import bare_extraction

    def run(html: bytes, url: str) -> Prediction:
        doc = bare_extraction(html, url=url, with_metadata=True)
        if doc is None:
            return Prediction("")
        author = ", ".join(a.strip() for a in (doc.author or "").split(";") if a.strip())
        return Prediction(doc.text or "", doc.title, author, doc.date)

    return run


_BLOCKS = (
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "tr",
    "section", "article", "ul", "ol", "table", "br", "dd", "dt", "figure", "figcaption",
)  # fmt: skip


def readability_extractor() -> Extractor:
    import lxml.html
    from readability import Document

    def run(html: bytes, url: str) -> Prediction:
        summary = Document(html, url=url).summary(html_partial=True)
        tree = lxml.html.fromstring(summary) if summary.strip() else None
        if tree is None:
            return Prediction("")
        for el in tree.iter(*_BLOCKS):
            el.tail = "\n\n" + (el.tail or "")
        text = re.sub(r"[ \t]*\n[\s]*\n\s*", "\n\n", tree.text_content()).strip()
        return Prediction(text)

    return run


# -- running -----------------------------------------------------------------------------


def timed(
    extractors: list[Extractor], pages: list[Page]
) -> list[tuple[list[Prediction], float, int]]:
    """Per extractor: predictions, seconds spent inside it, and how many pages raised.

    The extractors take turns page by page, so a change in machine load during the run
    weighs on all of them alike (the speed ratio is what the targets are about).  Each is
    called once on the first page before timing starts.
    """
    results: list[tuple[list[Prediction], float, int]] = [([], 0.0, 0) for _ in extractors]
    for extractor in extractors:  # one untimed call each: lazy imports and caches set up
        with contextlib.suppress(Exception):
            extractor(pages[0].html, pages[0].url)
    gc.collect()
    for page in pages:
        for index, extractor in enumerate(extractors):
            predictions, elapsed, failures = results[index]
            start = time.perf_counter()
            try:
                prediction = extractor(page.html, page.url)
            except Exception:  # a failing page scores as empty, and is counted
                prediction = Prediction("")
                failures += 1
            elapsed += time.perf_counter() - start
            predictions.append(prediction)
            results[index] = (predictions, elapsed, failures)
    return results


def score_aeb(pages: list[Page], preds: list[Prediction]) -> dict[str, float]:
    score = aeb_score((p.truth["text"], pr.text) for p, pr in zip(pages, preds, strict=True))
    return {"f1": score.f1, "precision": score.precision, "recall": score.recall, **score.extra}


def score_wcxb(pages: list[Page], preds: list[Prediction], metadata: bool) -> dict[str, float]:
    per_page = [
        wcxb_page(p.truth.get("main_content") or "", pr.text)
        for p, pr in zip(pages, preds, strict=True)
    ]
    result = {
        "f1": _mean(f for _, _, f in per_page),
        "precision": _mean(pp for pp, _, _ in per_page),
        "recall": _mean(r for _, r, _ in per_page),
    }
    found = total_with = wrong = total_without = 0
    for page, pred in zip(pages, preds, strict=True):
        text = norm_text(pred.text)
        for snippet in page.truth.get("with") or []:
            total_with += 1
            found += norm_text(snippet) in text
        for snippet in page.truth.get("without") or []:
            total_without += 1
            wrong += norm_text(snippet) in text
    result["with"] = found / total_with if total_with else 0.0
    result["without"] = wrong / total_without if total_without else 0.0
    if metadata:
        for field, key, norm in (
            ("title", "title", norm_text),
            ("author", "author", norm_text),
            ("date", "publish_date", norm_date),
        ):
            scored = [(p, pr) for p, pr in zip(pages, preds, strict=True) if norm(p.truth.get(key))]
            hits = sum(norm(p.truth.get(key)) == norm(getattr(pr, field)) for p, pr in scored)
            result[field] = hits / len(scored) if scored else 0.0
    return result


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import lxml.etree

    found = {
        "python": platform.python_version(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
    }
    for name in ("archiver", "trafilatura", "readability-lxml"):
        try:
            found[name] = version(name)
        except Exception:
            found[name] = "?"
    return found


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f}"
    except OSError:
        pass
    return "?"


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, default=None, help="only the first N pages of each set"
    )
    parser.add_argument("--only", action="append", help="run only these systems (repeatable)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--dump", type=Path, help="write per-page scores of every system here")
    args = parser.parse_args(argv)

    aeb, wcxb = load_aeb(args.limit), load_wcxb(args.limit)
    load_start = os.getloadavg()[0]
    systems: list[tuple[str, str, Callable[[], Extractor], bool]] = [
        # (name, dataset, factory, scores metadata)
        ("archiver", "aeb", archiver_extractor, False),
        ("trafilatura", "aeb", trafilatura_text, False),
        ("readability-lxml", "aeb", readability_extractor, False),
        ("archiver", "wcxb", archiver_extractor, True),
        ("trafilatura", "wcxb", trafilatura_metadata, True),
        ("readability-lxml", "wcxb", readability_extractor, False),
    ]
    rows: list[dict[str, Any]] = []
    dump: dict[str, Any] = {}
    chosen = [s for s in systems if not args.only or s[0] in args.only]
    timings: dict[tuple[str, str], tuple[list[Prediction], float, int]] = {}
    for dataset_name in ("aeb", "wcxb"):
        group = [s for s in chosen if s[1] == dataset_name]
        pages = aeb if dataset_name == "aeb" else wcxb
        measured = timed([factory() for _, _, factory, _ in group], pages)
        for (name, _, _, _), result in zip(group, measured, strict=True):
            timings[(name, dataset_name)] = result
    for name, dataset, _factory, metadata in chosen:
        pages = aeb if dataset == "aeb" else wcxb
        preds, seconds, failures = timings[(name, dataset)]
        scores = score_aeb(pages, preds) if dataset == "aeb" else score_wcxb(pages, preds, metadata)
        row = {"system": name, "dataset": dataset, "pages": len(pages), "seconds": seconds,
               "pages_per_s": len(pages) / seconds if seconds else 0.0, "failures": failures,
               **scores}  # fmt: skip
        rows.append(row)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}),
              flush=True)  # fmt: skip
        if args.dump:
            from metrics import aeb_page

            for page, pred in zip(pages, preds, strict=True):
                if dataset == "aeb":
                    tp, fp, fn, _ = aeb_page(page.truth["text"], pred.text)
                    p = tp / (tp + fp) if tp + fp else 1.0
                    r = tp / (tp + fn) if tp + fn else 1.0
                    dump[f"{name}/aeb/{page.id}"] = {
                        "p": p,
                        "r": r,
                        "f1": _f1(p, r),
                        "url": page.url,
                    }
                else:
                    p, r, f = wcxb_page(page.truth.get("main_content") or "", pred.text)
                    dump[f"{name}/wcxb/{page.id}"] = {
                        "p": p, "r": r, "f1": f, "url": page.url,
                        "title": [page.truth.get("title"), pred.title],
                        "author": [page.truth.get("author"), pred.author],
                        "date": [page.truth.get("publish_date"), pred.date],
                    }  # fmt: skip
    if args.dump:
        args.dump.write_text(json.dumps(dump, indent=1, ensure_ascii=False))
    counts = {
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "aeb": len(aeb),
        "wcxb": len(wcxb),
        "title": sum(bool(norm_text(p.truth.get("title"))) for p in wcxb),
        "author": sum(bool(norm_text(p.truth.get("author"))) for p in wcxb),
        "date": sum(bool(norm_date(p.truth.get("publish_date"))) for p in wcxb),
    }
    table = render(rows, counts)
    print(table)
    if not args.no_write and not args.limit and not args.only:
        write_doc(table)
    return 0


def render(rows: list[dict[str, Any]], counts: dict[str, float]) -> str:
    info = versions()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Extraction",
        "",
        f"Measured {now} on {cpu_model()}, {os.cpu_count()} cores, {memory_gib()} GiB RAM "
        f"({platform.system()} {platform.release()}, {platform.machine()}), one process; "
        f"Python {info['python']}, lxml {info['lxml']}, archiver {info['archiver']}, "
        f"trafilatura {info['trafilatura']}, readability-lxml {info['readability-lxml']}. "
        f"One-minute load average {counts['load_start']:.1f} at the start and "
        f"{counts['load_end']:.1f} at the end (other work on the machine adds noise).",
        "",
        "Command: `make bench` (that is, `.venv/bin/python benchmarks/extraction/run.py`).",
        "Speed counts only the extraction call (decoding and parsing included, reading and "
        "un-gzipping the files excluded); the extractors take turns page by page (after one "
        "untimed warm-up call each), so changes in machine load during the run weigh on all "
        "of them alike.",
        "",
        f"### article-extraction-benchmark ({counts['aeb']:.0f} pages, published shingle metric)",
        "",
        "| extractor | F1 | precision | recall | accuracy | pages/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["dataset"] == "aeb":
            lines.append(
                f"| {row['system']} | {fmt(row['f1'])} | {fmt(row['precision'])} | "
                f"{fmt(row['recall'])} | {fmt(row['accuracy'])} | {row['pages_per_s']:.1f} |"
            )
    lines += [
        "",
        f"### WCXB development articles ({counts['wcxb']:.0f} pages, per-page word F1; "
        "metadata exact match)",
        "",
        "| extractor | F1 | precision | recall | with found | without present | title | "
        "author | date | pages/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["dataset"] == "wcxb":
            lines.append(
                f"| {row['system']} | {fmt(row['f1'])} | {fmt(row['precision'])} | "
                f"{fmt(row['recall'])} | {fmt(row['with'])} | {fmt(row['without'])} | "
                f"{fmt(row.get('title'))} | {fmt(row.get('author'))} | {fmt(row.get('date'))} | "
                f"{row['pages_per_s']:.1f} |"
            )
    lines += ["", *comparison(rows)]
    lines += [
        "",
        "trafilatura: `trafilatura.extract(html)` with default settings on the first set; "
        "`bare_extraction(html, url=url, with_metadata=True)` on WCXB (text and metadata from "
        "the same call). readability-lxml: `Document(html).summary()` rendered to text; it "
        "gives no metadata. Metadata exact matches count over the pages whose truth has that "
        f"field ({counts['title']:.0f} titles, {counts['author']:.0f} authors, "
        f"{counts['date']:.0f} dates); "
        'author lists are joined with ", " '
        "for every tool.",
    ]
    return "\n".join(lines)


def comparison(rows: list[dict[str, Any]]) -> list[str]:
    """One line per set: archiver against trafilatura in this run (the issue's targets)."""
    found = {(r["system"], r["dataset"]): r for r in rows}
    lines = []
    for dataset, label in (("aeb", "article-extraction-benchmark"), ("wcxb", "WCXB")):
        ours, theirs = found.get(("archiver", dataset)), found.get(("trafilatura", dataset))
        if not ours or not theirs:
            continue
        parts = [f"F1 {ours['f1'] - theirs['f1']:+.3f}"]
        for field in ("title", "author", "date"):
            if field in ours and field in theirs:
                parts.append(f"{field} {ours[field] - theirs[field]:+.3f}")
        speed = ours["pages_per_s"] / theirs["pages_per_s"] if theirs["pages_per_s"] else 0.0
        parts.append(f"speed ×{speed:.2f}")
        lines.append(f"archiver − trafilatura on {label}: " + ", ".join(parts) + ".")
    return lines


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN extraction -->", "<!-- END extraction -->"
    start, stop = text.index(begin) + len(begin), text.index(end)
    DOC.write_text(text[:start] + "\n" + table + "\n" + text[stop:], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
