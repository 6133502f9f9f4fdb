"""The sweep as a PNG: throughput above, p50 and p99 latency below, against sagas in flight."""

from pathlib import Path
from typing import Any

from ops.bench import report
from ops.bench.machine import Machine
from ops.bench.workload import Point


def _plot(top: Any, bottom: Any, sweep: list[Point]) -> None:
    """One line per replica count, so a comparison run shows both."""
    for index, replicas in enumerate(sorted({p.orchestrators for p in sweep})):
        points = sorted((p for p in sweep if p.orchestrators == replicas), key=lambda p: p.concurrency)
        xs = [p.concurrency for p in points]
        label, color = report.replicas(replicas), f"C{index}"  # one colour per replica count, in both panels
        top.plot(xs, [p.timings.per_second for p in points], marker="o", color=color, label=label)
        bottom.plot(xs, [p.timings.p50_ms for p in points], marker="o", color=color, label=f"p50, {label}")
        bottom.plot(
            xs,
            [p.timings.p99_ms for p in points],
            marker="s",
            linestyle="--",
            color=color,
            label=f"p99, {label}",
        )


def _style(top: Any, bottom: Any, concurrencies: list[int], ceiling: float | None) -> None:
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter  # noqa: PLC0415 (see draw)

    if ceiling:  # as text: a line far above the data would flatten it
        note = f"ceiling from commits and messages: {ceiling:.0f} sagas/s"
        top.text(0.02, 0.95, note, transform=top.transAxes, va="top", fontsize="small", color="grey")
    top.set_ylabel("sagas per second")
    top.set_ylim(bottom=0)
    bottom.set_ylabel("start to end latency (ms)")
    bottom.set_yscale("log")
    bottom.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))  # 10, 20, 50, 100...: readable steps
    bottom.yaxis.set_major_formatter(ScalarFormatter())
    bottom.yaxis.set_minor_formatter(NullFormatter())
    bottom.set_xlabel("sagas in flight (C)")
    bottom.set_xscale("log", base=2)
    bottom.set_xticks(concurrencies, [str(c) for c in concurrencies])
    for axis in (top, bottom):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")


def draw(path: Path, machine: Machine, sweep: list[Point], ceiling_sagas_per_s: float | None) -> None:
    # Imported here: matplotlib takes a second to import, which only the chart should pay.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 7))
    _plot(top, bottom, sweep)
    _style(top, bottom, sorted({p.concurrency for p in sweep}), ceiling_sagas_per_s)
    top.set_title(f"Order saga, 90% complete, 10% compensate\n{machine.describe()}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
