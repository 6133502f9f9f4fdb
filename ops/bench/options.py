"""What one `make bench` invocation measures, as parsed from its flags."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.bench import workflow_files
from ops.broker_access import BrokerAccess

PRODUCT = "bench-item"
SEED_STOCK = 100_000_000  # never runs out, so no saga fails for want of stock
AMOUNT = 10.0
FAIL_EVERY = 10  # every tenth saga fails, the rest (quantity 1) complete


def order_input(order_id: str, quantity: int) -> dict[str, Any]:
    """What a bench saga starts from, whichever workflow it runs."""
    return {"orderId": order_id, "productId": PRODUCT, "quantity": quantity, "amount": AMOUNT}


@dataclass(frozen=True)
class Options:
    workflow: str = workflow_files.DEFAULT  # one of `workflow_files.drivable()`
    sagas: int = 2000
    concurrency: int = 64
    orchestrators: tuple[int, ...] = (1,)
    urls: tuple[str, ...] = ()  # a running system's orchestrators; empty: start our own
    api_key: str | None = None  # a running system's client key; our own system gets a fresh one
    namespace: str | None = None  # databases and queues; "bench_" for our own, "" for a running one
    main: bool = True
    sweep: bool = True
    sweep_points: tuple[int, ...] = (1, 8, 32, 64, 128)
    sweep_sagas: int = 2000
    sweep_sagas_serial: int = 300  # at C=1 each saga waits for the last: fewer keep the sweep short
    warmup: int = 200
    client: str = "aiohttp"
    ceiling_seconds: float = 3.0
    postgres_url: str = "postgresql://root@127.0.0.1:5432/postgres"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    broker_node: str = ""  # the node of a local cluster that `rabbitmqctl` sets up; "" the machine's
    broker: BrokerAccess | None = None  # our own systems' vhost; None: the local "saga-<namespace>"
    out_dir: Path = Path("docs/bench")
    log_dir: Path = Path(".run/bench")

    @property
    def prefix(self) -> str:
        if self.namespace is not None:
            return self.namespace
        return "" if self.urls else "bench_"

    def sweep_size(self, concurrency: int) -> int:
        return self.sweep_sagas_serial if concurrency == 1 else self.sweep_sagas
