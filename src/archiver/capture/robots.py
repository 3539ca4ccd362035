"""robots.txt: parsed per host, obeyed by default (RFC 9309), Crawl-delay honoured.

Missing (4xx) robots.txt allows everything; an unreachable one (5xx or a network error after
retries) disallows everything for that host, as RFC 9309 §2.3.1.4 asks.
"""

from __future__ import annotations

import urllib.robotparser
from dataclasses import dataclass

__all__ = ["RobotsPolicy"]


@dataclass
class RobotsPolicy:
    """The rules of one host for one user agent."""

    parser: urllib.robotparser.RobotFileParser | None
    allow_all: bool = False
    disallow_all: bool = False

    @classmethod
    def from_response(cls, status: int | None, body: bytes) -> RobotsPolicy:
        if status is None or status >= 500:
            return cls(parser=None, disallow_all=True)
        if status >= 400 or not body.strip():
            return cls(parser=None, allow_all=True)
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return cls(parser=parser)

    @classmethod
    def permissive(cls) -> RobotsPolicy:
        return cls(parser=None, allow_all=True)

    def allows(self, user_agent: str, url: str) -> bool:
        if self.allow_all:
            return True
        if self.disallow_all or self.parser is None:
            return False
        return self.parser.can_fetch(_product(user_agent), url)

    def crawl_delay(self, user_agent: str) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(_product(user_agent))
        try:
            return max(0.0, float(delay)) if delay is not None else 0.0
        except (TypeError, ValueError):
            return 0.0


def _product(user_agent: str) -> str:
    """The product token robots.txt groups match against (``archiver`` of ``archiver/0.1``)."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
