"""structlog for the workers: events at or above the configured level, as JSON lines on stderr."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str) -> None:
    """Filter by ``level`` (``DEBUG`` ... ``ERROR``) and render one JSON object per event on
    stderr (Faust captures stdout into its own log at WARNING, which mislabels every event).

    Bound context (``shipment_id``, ``topic`` ...) travels as fields; secrets are never bound.
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
