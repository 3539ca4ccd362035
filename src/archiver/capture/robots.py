"""robots.txt as RFC 9309 defines it, obeyed by default, with Crawl-delay honoured.

- Groups: consecutive ``User-agent`` lines share the rules that follow; the groups naming our
  product token (case-insensitive) are merged, and ``*`` applies only when none names us.
- Rules: ``*`` matches any run of characters and a final ``$`` anchors the end; the longest
  matching pattern wins, and ``Allow`` wins a tie.  ``/robots.txt`` itself is always allowed.
- A missing robots.txt (4xx other than 429) allows everything; an unreachable one (5xx, 429 or
  a network error after retries) disallows everything for that host (§2.3.1.3–4), and says
  why (:attr:`RobotsPolicy.unreachable`): the crawl lists such URLs as failures, not as URLs
  the site asked not to be fetched.
- Matching is linear in the URL for each ``*`` of a pattern (no regular expression, so no
  backtracking however many wildcards a pattern has).
- ``Crawl-delay`` (not in the RFC, widely used) may be fractional.

The standard library's ``urllib.robotparser`` is not used: it knows neither wildcards nor the
longest-match rule, and reads ``Crawl-delay: 0.5`` as nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

__all__ = ["RobotsPolicy"]

_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB; we stop there.


@dataclass(frozen=True)
class _Rule:
    allow: bool
    pattern: str
    #: the pattern split at its ``*``s, and whether it ends with ``$``
    segments: tuple[str, ...]
    anchored: bool

    def matches(self, path: str) -> bool:
        """Whether the rule matches the start of ``path``, in time linear in the path for each
        ``*`` (leftmost matching of each literal piece is exact for ``*`` patterns, and no
        backtracking is ever needed)."""
        first, *rest = self.segments
        if not path.startswith(first):
            return False
        pos = len(first)
        if not rest:
            return not self.anchored or pos == len(path)
        *middle, last = rest
        for piece in middle:
            found = path.find(piece, pos)
            if found < 0:
                return False
            pos = found + len(piece)
        if self.anchored:
            return len(path) - len(last) >= pos and path.endswith(last)
        return path.find(last, pos) >= 0


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    delay: float | None = None


def _normalise_path(path: str) -> str:
    """Percent-encode a path the same way on both sides of a comparison."""
    return quote(unquote(path), safe="/:@!$&'()*+,;=-._~?%")


def _rule(allow: bool, pattern: str) -> _Rule:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    return _Rule(allow, pattern, tuple(body.split("*")), anchored)


def _parse(text: str) -> list[_Group]:
    groups: list[_Group] = []
    current: _Group | None = None
    last_was_agent = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if current is None or not last_was_agent:
                current = _Group()
                groups.append(current)
            current.agents.append(value.lower())
            last_was_agent = True
            continue
        last_was_agent = False
        if current is None:
            continue
        if key in ("allow", "disallow"):
            if not value:
                continue  # an empty Disallow allows everything; an empty Allow says nothing
            pattern = _normalise_path(value)
            current.rules.append(_rule(key == "allow", pattern))
        elif key == "crawl-delay":
            with contextlib.suppress(ValueError):  # a malformed delay is ignored
                current.delay = max(0.0, float(value))
    return groups


@dataclass
class RobotsPolicy:
    """The rules of one host."""

    groups: list[_Group] = field(default_factory=list)
    allow_all: bool = False
    disallow_all: bool = False
    #: why robots.txt could not be had (then nothing is allowed, and the run says why)
    unreachable: str | None = None

    @classmethod
    def from_response(
        cls, status: int | None, body: bytes, *, reason: str = "no response"
    ) -> RobotsPolicy:
        """The policy for a robots.txt fetched with ``status`` (None: unreachable, ``reason``
        says why)."""
        if status is None:
            return cls(disallow_all=True, unreachable=reason)
        if status >= 500 or status == 429:
            return cls(disallow_all=True, unreachable=f"HTTP {status}")
        if status >= 400 or not body.strip():
            return cls(allow_all=True)
        text = body[:_MAX_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
        return cls(groups=_parse(text))

    @classmethod
    def permissive(cls) -> RobotsPolicy:
        return cls(allow_all=True)

    def _groups_for(self, user_agent: str) -> list[_Group]:
        token = _product(user_agent)
        named = [g for g in self.groups if token in g.agents]
        return named or [g for g in self.groups if "*" in g.agents]

    def allows(self, user_agent: str, url: str) -> bool:
        """Whether ``url`` may be fetched by ``user_agent``."""
        if self.allow_all:
            return True
        parts = urlsplit(url)
        path = _normalise_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        if path == "/robots.txt":
            return True
        if self.disallow_all:
            return False
        best: _Rule | None = None
        for group in self._groups_for(user_agent):
            for rule in group.rules:
                if not rule.matches(path):
                    continue
                if (
                    best is None
                    or len(rule.pattern) > len(best.pattern)
                    or (len(rule.pattern) == len(best.pattern) and rule.allow)
                ):
                    best = rule
        return best is None or best.allow

    def crawl_delay(self, user_agent: str) -> float:
        """Seconds to wait between requests, as the group for ``user_agent`` asks (0 if not)."""
        delays = [g.delay for g in self._groups_for(user_agent) if g.delay is not None]
        return max(delays) if delays else 0.0


def _product(user_agent: str) -> str:
    """The product token robots.txt groups match (``archiver`` of ``archiver/0.1 (+…)``)."""
    token = user_agent.strip().split("/", 1)[0].split()
    return token[0].lower() if token else "*"
