"""Reading a process's `/metrics` as Prometheus does, and adding its samples up by label."""

from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class Scrape:
    """One or more scrapes' samples: `total` sums those of a name whose labels match."""

    def __init__(self, samples: Iterable[Sample]) -> None:
        self.samples = list(samples)

    @classmethod
    def parse(cls, text: str) -> "Scrape":
        return cls(
            Sample(sample.name, dict(sample.labels), sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        )

    def __add__(self, other: "Scrape") -> "Scrape":
        return Scrape([*self.samples, *other.samples])

    def total(self, name: str, **labels: str) -> float:
        return sum(
            sample.value
            for sample in self.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def names(self) -> set[str]:
        return {sample.name for sample in self.samples}


async def scrape(url: str) -> Scrape:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape.parse(response.text)


async def scrape_all(urls: Iterable[str]) -> Scrape:
    total = Scrape([])
    for url in urls:
        total = total + await scrape(url)
    return total
