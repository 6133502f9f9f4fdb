"""The FastAPI application; its lifespan owns the pool, the broker connection and the background work."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from saga_orchestrator.api import errors
from saga_orchestrator.api.deps import Resources
from saga_orchestrator.api.routes import health, router
from saga_orchestrator.api.schemas import MAX_BODY_BYTES
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.loops import background_tasks
from saga_orchestrator.runtime.outbox import OutboxPublisher
from saga_orchestrator.runtime.replies import ReplyConsumer, consume_replies
from saga_orchestrator.runtime.runner import SagaRunner
from saga_orchestrator.runtime.settled import SettledWaiters
from saga_orchestrator.settings import Settings
from saga_orchestrator.workflows import WORKFLOWS
from shared import access, broker, database, gc_tuning, logs, topology, tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure("saga_orchestrator", settings.log_level)
        log = logs.lifecycle("saga_orchestrator")
        pool = await database.open_pool(settings.database_url, settings.db_pool_size)
        connection = await broker.connect(settings.amqp_url)
        publisher = await broker.Publisher.open(
            connection, prefix=settings.queue_prefix, user=access.user_of(settings.amqp_url)
        )
        own_replies = topology.replica_reply_queue(settings.replica, settings.queue_prefix)
        outbox = OutboxPublisher(pool, publisher, reply_to=own_replies)
        engines = {name: Engine(w, settings.retry_policy) for name, w in WORKFLOWS.items()}
        correlation = Correlation(settings.correlation_secret.get_secret_value())
        runner = SagaRunner(pool, engines, outbox, settings.queue_prefix, correlation)
        replies = ReplyConsumer(runner, publisher, settings.queue_prefix, correlation, _senders(settings))
        await consume_replies(connection, replies, settings)
        settled = SettledWaiters(settings.database_url, settings.max_waiters)
        await settled.keep_listening()
        tasks = background_tasks(
            runner, outbox, settled, settings.wake_interval_seconds, settings.relay_after_seconds
        )
        app.state.resources = Resources(pool=pool, broker=connection, runner=runner, settled=settled)
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
    app.include_router(router)
    app.include_router(health)
    errors.install(app)
    return app


def _senders(settings: Settings) -> dict[str, str]:
    """The broker user each command's reply must come from: that of the service it was sent to."""
    vhost = access.vhost_of(settings.amqp_url)
    return {
        command: access.user(service, vhost)
        for workflow in WORKFLOWS.values()
        for command, service in workflow.service_of.items()
    }
