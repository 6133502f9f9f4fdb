"""The FastAPI application; its lifespan owns the pool, the broker connection and the background work."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from saga_orchestrator.api import dead_letters, errors, metrics
from saga_orchestrator.api.deps import Resources
from saga_orchestrator.api.routes import health, router
from saga_orchestrator.api.schemas import MAX_BODY_BYTES
from saga_orchestrator.api.workflow_routes import catalogue, saga_routes
from saga_orchestrator.persistence import definitions as stored
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.dead_letters import DeadLetters, consume_dead_letters
from saga_orchestrator.runtime.definitions import Definitions
from saga_orchestrator.runtime.loops import background_tasks
from saga_orchestrator.runtime.outbox import OutboxPublisher
from saga_orchestrator.runtime.replies import ReplyConsumer, consume_replies
from saga_orchestrator.runtime.runner import SagaRunner
from saga_orchestrator.runtime.settled import SettledWaiters
from saga_orchestrator.settings import Settings
from saga_orchestrator.ui import mount as ui
from saga_orchestrator.workflows.loader import Definition, InvalidWorkflow, load
from shared import access, broker, database, gc_tuning, logs, topology, tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    current = load(settings.workflows_dir)  # InvalidWorkflow stops the start, naming file and problem

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure("saga_orchestrator", settings.log_level, settings.log_format)
        log = logs.lifecycle("saga_orchestrator")
        pool = await database.open_pool(settings.database_url, settings.db_pool_size)
        definitions = Definitions(pool, current)
        try:
            await stored.store(pool, list(current.values()))
        except InvalidWorkflow as exc:
            log.error("cannot start: %s", exc)
            raise
        await definitions.load_stored()
        connection = await broker.connect(settings.amqp_url)
        publisher = await broker.Publisher.open(
            connection, prefix=settings.queue_prefix, user=access.user_of(settings.amqp_url)
        )
        own_replies = topology.replica_reply_queue(settings.replica, settings.queue_prefix)
        outbox = OutboxPublisher(pool, publisher, reply_to=own_replies)
        correlation = Correlation(settings.correlation_secret.get_secret_value())
        runner = SagaRunner(
            pool,
            definitions,
            outbox,
            settings.queue_prefix,
            correlation,
            policy=settings.retry_policy,
            replica=settings.replica,
        )
        senders = _senders(settings, definitions.all())
        replies = ReplyConsumer(runner, publisher, settings.queue_prefix, correlation, senders)
        await consume_replies(connection, replies, settings)
        app.state.dead_letters = DeadLetters(
            pool, publisher, settings.queue_prefix, _services(definitions.all())
        )
        await consume_dead_letters(connection, app.state.dead_letters, settings)
        settled = SettledWaiters(settings.database_url, settings.max_waiters)
        await settled.keep_listening()
        tasks = background_tasks(
            runner, outbox, settled, settings.wake_interval_seconds, settings.relay_after_seconds
        )
        app.state.resources = Resources(
            pool=pool, broker=connection, runner=runner, settled=settled, definitions=definitions
        )
        gc_tuning.tune_for_service()
        authentication = f"API keys: {len(settings.keys)}" if settings.keys else "authentication off"
        log.info(
            "ready: serving on %s:%d (%s), replies to %s",
            settings.http_host,
            settings.http_port,
            authentication,
            own_replies,
        )
        yield
        log.info("stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await settled.close()
        await connection.close()
        await pool.close()
        tracing.shutdown()

    app = FastAPI(
        title="Saga orchestrator",
        summary="Runs the order saga over RabbitMQ and keeps its state in Postgres.",
        lifespan=lifespan,
        # Refused before it is parsed, whether its Content-Length says so or its bytes do.
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.api_keys = settings.keys
    if (provider := tracing.provider()) is not None:
        # The request that starts a saga is its trace's root; the ASGI events would be noise.
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, exclude_spans=["receive", "send"])
    _install_routes(app, list(current.values()), settings)
    return app


def _install_routes(app: FastAPI, current: list[Definition], settings: Settings) -> None:
    """The seed's routes, each workflow's own, the operators', health and metrics, the dashboard."""
    app.include_router(router)
    app.include_router(catalogue)
    for definition in current:
        app.include_router(saga_routes(definition))
    app.include_router(dead_letters.router)
    app.include_router(health)
    app.include_router(metrics.router)
    errors.install(app)
    ui.install(app, settings)


def _senders(settings: Settings, definitions: list[Definition]) -> dict[str, str]:
    """The broker user each command's reply must come from: that of the service it was sent to,
    in any version a saga may run on."""
    vhost = access.vhost_of(settings.amqp_url)
    return {
        command: access.user(service, vhost)
        for definition in definitions
        for command, service in definition.workflow.service_of.items()
    }


def _services(definitions: list[Definition]) -> list[str]:
    """Every service of every workflow version: the command queues a dead letter may be sent back to."""
    return list(dict.fromkeys(service for d in definitions for service in d.workflow.services))
