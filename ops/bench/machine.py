"""The machine a result was measured on: cores, CPU model and memory, for titles and the JSON."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Machine:
    date: str
    cores: int
    cpu: str
    ram_gb: float

    def describe(self) -> str:
        return f"{self.date}, {self.cores} x {self.cpu}, {self.ram_gb:.0f} GB RAM"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def this_machine() -> Machine:
    return Machine(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cores=os.cpu_count() or 0,
        cpu=_cpu_model(),
        ram_gb=psutil.virtual_memory().total / 1e9,
    )
