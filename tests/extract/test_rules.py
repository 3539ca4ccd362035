"""Site rules: selectors win over the heuristics; the rules file is validated."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from archiver.errors import UsageError
from archiver.extract import SiteRules, extract, load_rules
from tests.extract.warcs import ARTICLE_HTML

RULES = {
    "version": 1,
    "rules": [
        {
            "host": "example.org",
            "body": {"css": "div.entry-content"},
            "title": {"xpath": "//h2"},
            "authors": [{"css": "p.byline", "attribute": "data-none"}, {"css": "p.byline"}],
            "date": {"xpath": "//span[@class='when']", "attribute": "title"},
            "drop": [{"css": "h2"}],
        },
        {"host": "other.example.org", "title": {"css": "h1"}},
    ],
}


def test_rule_fields_win(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(RULES))
    rules = load_rules(path)
    html = ARTICLE_HTML.replace("<main>", "<main><span class='when' title='2020-02-02'></span>")
    article = extract(html, url="https://news.example.org/x", rules=rules)
    assert article.title == "Help on the way"  # read before the drop rule removed the h2
    assert article.authors == ("Naw Paw", "Saw Htoo")
    assert article.published == date(2020, 2, 2)
    assert "Help on the way" not in article.text  # dropped
    assert article.text.startswith("Heavy rain")


def test_most_specific_host_wins() -> None:
    rules = SiteRules.from_json(RULES)
    rule = rules.for_url("https://www.other.example.org/a")
    assert rule is not None and rule.host == "other.example.org"
    assert rules.for_url("https://example.com/") is None
    assert rules.for_url("https://notexample.org/") is None


@pytest.mark.parametrize(
    "data",
    [
        {"rules": []},
        {"version": 1, "rules": [{"host": "a.org", "body": {"xpath": "//p", "css": "p"}}]},
        {"version": 1, "rules": [{"host": "a.org", "colour": "red"}]},
        {"version": 1, "rules": [{"host": "a.org", "body": {"xpath": "//p["}}]},
    ],
)
def test_bad_rules_are_usage_errors(data: object) -> None:
    with pytest.raises(UsageError):
        SiteRules.from_json(data)


def test_unreadable_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json")
    with pytest.raises(UsageError, match=r"rules\.json"):
        load_rules(path)
