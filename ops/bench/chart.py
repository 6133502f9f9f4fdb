"""The sweep as a PNG: throughput above, p50 and p99 latency below, against sagas in flight."""

from pathlib import Path

from ops.bench.machine import Machine
from ops.bench.workload import Point


def draw(path: Path, machine: Machine, sweep: list[Point], ceiling_sagas_per_s: float | None) -> None:
    # Imported here: matplotlib costs a second to import, which only the chart should pay.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 7))
    for replicas in sorted({p.orchestrators for p in sweep}):
        points = sorted((p for p in sweep if p.orchestrators == replicas), key=lambda p: p.concurrency)
        label = f"{replicas} orchestrator{'s' if replicas > 1 else ''}"
        xs = [p.concurrency for p in points]
        top.plot(xs, [p.timings.per_second for p in points], marker="o", label=label)
        bottom.plot(xs, [p.timings.p50_ms for p in points], marker="o", label=f"p50, {label}")
        bottom.plot(xs, [p.timings.p99_ms for p in points], marker="s", linestyle="--", label=f"p99, {label}")
    if ceiling_sagas_per_s:
        top.axhline(ceiling_sagas_per_s, color="grey", linestyle=":", label="machine ceiling")
    top.set_ylabel("sagas per second")
    top.set_ylim(bottom=0)
    bottom.set_ylabel("start to end latency (ms)")
    bottom.set_yscale("log")
    bottom.set_xlabel("sagas in flight (C)")
    bottom.set_xscale("log", base=2)
    bottom.set_xticks(
        sorted({p.concurrency for p in sweep}), [str(c) for c in sorted({p.concurrency for p in sweep})]
    )
    for axis in (top, bottom):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
    top.set_title(f"Order saga, 90% complete / 10% compensate\n{machine.describe()}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
