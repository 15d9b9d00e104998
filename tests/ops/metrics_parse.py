"""Read a Prometheus scrape (strictly, with prometheus-client's own parser)."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple, float]:
    """``{(sample name, (("label", "value"), ...)): value}`` of a scrape."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(scrape: dict, name: str, **labels) -> float:
    """One sample's value; 0 when the scrape lacks it."""
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)
