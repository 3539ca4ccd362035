"""Capture: fetch pages with their exact wire bytes into a collection's WARC files."""

from __future__ import annotations

from archiver.capture.crawl import capture
from archiver.model import CaptureOptions, CaptureSummary, Failure, Seed

__all__ = ["CaptureOptions", "CaptureSummary", "Failure", "Seed", "capture"]
