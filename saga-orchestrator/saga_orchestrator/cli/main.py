"""The `saga` commands: start, list, show, cancel and retry sagas, and deal with dead letters."""

from typing import Annotated, Any

import typer

from saga_orchestrator.cli.client import Api, CliSettings
from saga_orchestrator.cli.tables import elapsed, seconds, table, when

app = typer.Typer(
    help=(
        "Operate the saga orchestrator over its HTTP API, at SAGA_URL (default http://127.0.0.1:3000)"
        " with the key in SAGA_API_KEY.\n\n"
        "Exit codes: 0 done; 1 refused by the API (not found, not allowed in the saga's state,"
        " invalid); 2 wrong usage; 3 no key, a wrong key, or not an operator's; 4 the orchestrator"
        " is unreachable or failed."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _api() -> Api:
    return Api(CliSettings())


def _say_status(saga: dict[str, Any]) -> None:
    step = f", step {saga['currentStep']}" if saga.get("currentStep") else ""
    typer.echo(f"{saga['orderId']}: {saga['status']} ({saga['phase']}{step})")


@app.command()
def start(
    order_id: Annotated[str, typer.Argument(help="the order's id, which keys the saga")],
    product: Annotated[str, typer.Option(help="the product ordered")] = "item-001",
    quantity: Annotated[int, typer.Option(min=1)] = 1,
    amount: Annotated[float, typer.Option(help="the amount charged", min=0.01)] = 100.0,
    wait: Annotated[float, typer.Option(help="seconds to wait for the outcome", min=0, max=60)] = 0,
) -> None:
    """Start the order saga (or find the one this order has)."""
    body = {"orderId": order_id, "productId": product, "quantity": quantity, "amount": amount}
    started = _api().call("POST", "/saga/start", json=body, params={"wait": wait} if wait else None)
    typer.echo(f"{started['orderId']}: {started['status']} (saga {started['sagaId']})")


@app.command("list")
def list_sagas(
    status: Annotated[
        str | None, typer.Option(help="only sagas in this state, e.g. COMPLETED or COMPLETION_FAILED")
    ] = None,
    stuck: Annotated[
        str | None, typer.Option(help="only running sagas not moved on for this long: 30s, 5m, 2h")
    ] = None,
    workflow: Annotated[str | None, typer.Option(help="only sagas of this workflow")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List sagas, newest first."""
    params: dict[str, Any] = {"limit": limit, "status": status, "workflow": workflow}
    if stuck is not None:
        params["stuck"] = seconds(stuck)
    found = _api().call("GET", "/sagas", params={k: v for k, v in params.items() if v is not None})
    rows = [
        (s["orderId"], s["status"], s["phase"], s["currentStep"], s["attempt"], when(s["updatedAt"]))
        for s in found["sagas"]
    ]
    typer.echo(table(("ORDER", "STATUS", "PHASE", "STEP", "ATTEMPT", "UPDATED"), rows))


@app.command()
def show(key: Annotated[str, typer.Argument(help="the order's id")]) -> None:
    """Show a saga's status and its timeline: every state, command and reply."""
    api = _api()
    saga = api.call("GET", f"/saga/{key}/status")
    events = api.call("GET", f"/saga/{key}/history")["events"]
    for label, field in (
        ("saga", "sagaId"),
        ("status", "status"),
        ("phase", "phase"),
        ("step", "currentStep"),
        ("attempt", "attempt"),
        ("last error", "lastError"),
        ("failed step", "failedStep"),
        ("error", "error"),
    ):
        typer.echo(f"{label + ':':<13}{saga[field] if saga[field] is not None else '-'}")
    typer.echo(f"{'created:':<13}{when(saga['createdAt'])}   finished: {when(saga['finishedAt'])}\n")
    typer.echo(_timeline(events))


def _timeline(events: list[dict[str, Any]]) -> str:
    """The history as a table; a reply shows how long after its command it came."""
    sent: dict[tuple[str, int], str] = {}
    rows = []
    for e in events:
        took = None
        if e["type"] == "COMMAND":
            sent[e["command"], e["attempt"]] = e["at"]
        elif e["type"] == "REPLY" and (e["command"], e["attempt"]) in sent:
            took = elapsed(sent[e["command"], e["attempt"]], e["at"])
        outcome = None if e["success"] is None else ("ok" if e["success"] else f"failed: {e['error']}")
        what = e["state"] or e["command"]
        # A server from before the replicas were recorded sends none.
        replica = e.get("replica")
        rows.append(
            (
                e["seq"],
                when(e["at"]),
                e["type"],
                what,
                e["service"],
                replica,
                e["attempt"],
                outcome,
                took,
                e["actor"],
            )
        )
    headers = ("SEQ", "AT", "TYPE", "STATE/COMMAND", "SERVICE", "REPLICA", "ATTEMPT", "OUTCOME", "TOOK", "BY")
    return table(headers, rows)


@app.command()
def cancel(key: Annotated[str, typer.Argument(help="the order's id")]) -> None:
    """Cancel a running saga: it compensates every step it ran, in reverse."""
    _say_status(_api().call("POST", f"/saga/{key}/cancel"))


@app.command()
def retry(key: Annotated[str, typer.Argument(help="the order's id")]) -> None:
    """Resume a saga parked in COMPENSATION_FAILED or COMPLETION_FAILED (operators only)."""
    _say_status(_api().call("POST", f"/saga/{key}/retry"))


@app.command("dead-letters")
def dead_letters(
    redrive: Annotated[
        int | None, typer.Option(help="send this dead letter back to its queue", min=1)
    ] = None,
    discard: Annotated[int | None, typer.Option(help="discard this dead letter", min=1)] = None,
    state: Annotated[str, typer.Option(help="OPEN, REDRIVEN, DISCARDED or ALL")] = "OPEN",
    before: Annotated[int | None, typer.Option(help="only those older than this id (the next page)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List the dead letters (operators only); or, with --redrive or --discard, act on one."""
    if redrive is not None and discard is not None:
        raise typer.BadParameter("give --redrive or --discard, not both")
    if state.upper() not in {"OPEN", "REDRIVEN", "DISCARDED", "ALL"}:
        raise typer.BadParameter(f"{state!r} is not one of OPEN, REDRIVEN, DISCARDED, ALL")
    api = _api()
    for letter_id, action in ((redrive, "redrive"), (discard, "discard")):
        if letter_id is not None:
            letter = api.call("POST", f"/dead-letters/{letter_id}/{action}")
            typer.echo(f"dead letter {letter['id']} from {letter['sourceQueue']}: {letter['state']}")
            return
    _list_letters(api, None if state.upper() == "ALL" else state.upper(), before, limit)


def _list_letters(api: Api, state: str | None, before: int | None, limit: int) -> None:
    params = {"limit": limit, "before": before, "state": state}
    page = api.call("GET", "/dead-letters", params={k: v for k, v in params.items() if v is not None})
    rows = [
        (d["id"], when(d["deadAt"]), d["sourceQueue"], d["state"], d["reason"], d["preview"])
        for d in page["deadLetters"]
    ]
    typer.echo(table(("ID", "AT", "QUEUE", "STATE", "REASON", "PAYLOAD"), rows))
    if page["next"] is not None:
        typer.echo(f"more: --before {page['next']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
