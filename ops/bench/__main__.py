"""`python -m ops.bench`: a workflow's throughput and latency on this machine (the order saga's unless
told), against its ceiling."""

import argparse
import sys
from dataclasses import replace

import uvloop

from ops import cluster
from ops.bench import workflow_files
from ops.bench.load import Unreachable
from ops.bench.options import PRODUCT, SEED_STOCK, Options
from ops.bench.session import Imbalanced, bench
from ops.bench.transport import default_client


def _positive(text: str) -> int:
    if (count := int(text)) < 1:
        raise argparse.ArgumentTypeError(f"{count}: at least one")
    return count


def _counts(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops.bench", description=__doc__)
    drivable = workflow_files.drivable()
    driven = "the workflow its sagas run: a bundled one, or one of ops/bench/workflows/"
    p.add_argument("--workflow", choices=drivable, default=workflow_files.DEFAULT, help=driven)
    p.add_argument("--sagas", type=int, default=2000, help="sagas in the main workload")
    p.add_argument("--concurrency", type=int, default=64, help="sagas in flight in the main workload")
    replicas = "replicas; '1 2' runs everything once with each, for comparison"
    p.add_argument("--orchestrators", type=_positive, nargs="+", default=[1], help=replicas)
    running = f"a running system's orchestrator, per replica (INVENTORY_SEED={PRODUCT}={SEED_STOCK})"
    p.add_argument("--url", action="append", default=[], help=running)
    p.add_argument("--api-key", help="a client's key for the running system, if it requires keys")
    p.add_argument("--namespace", help="prefix of its databases (default: bench_, or none with --url)")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--sweep", action="store_true", help="only the sweep over concurrency")
    only.add_argument("--no-sweep", action="store_true", help="only the main workload")
    p.add_argument("--sweep-points", type=_counts, default=(1, 8, 32, 64, 128), help="e.g. 1,8,32,64,128")
    p.add_argument("--sweep-sagas", type=int, default=2000, help="sagas per sweep point")
    p.add_argument("--sweep-sagas-serial", type=int, default=300, help="sagas at the C=1 point")
    p.add_argument("--warmup", type=int, default=200, help="unreported sagas run first on each system")
    p.add_argument("--client", choices=("aiohttp", "httpx"), default=default_client(), help="HTTP client")
    p.add_argument("--ceiling-seconds", type=float, default=3.0, help="per ceiling probe; 0 skips it")
    p.add_argument("--cluster", action="store_true", help="on the local cluster of `make cluster-up`")
    return p


def parse(argv: list[str]) -> Options:
    args = _parser().parse_args(argv)
    options = Options(
        workflow=args.workflow,
        sagas=args.sagas,
        concurrency=args.concurrency,
        orchestrators=tuple(args.orchestrators),
        urls=tuple(args.url),
        api_key=args.api_key,
        namespace=args.namespace,
        main=not args.sweep,
        sweep=not args.no_sweep,
        sweep_points=args.sweep_points,
        sweep_sagas=args.sweep_sagas,
        sweep_sagas_serial=args.sweep_sagas_serial,
        warmup=args.warmup,
        client=args.client,
        ceiling_seconds=args.ceiling_seconds,
    )
    if not args.cluster:
        return options
    servers = cluster.read_addresses()
    return replace(
        options,
        postgres_url=servers["postgres_url"],
        amqp_url=servers["amqp_url"],
        broker_node=servers["node"],
    )


def main() -> None:
    try:
        uvloop.run(bench(parse(sys.argv[1:])))
    except Imbalanced as exc:
        sys.exit(f"the books do not balance, databases kept for inspection: {exc}")
    except Unreachable as exc:
        sys.exit(f"the system stopped answering: {exc}")


if __name__ == "__main__":
    main()
