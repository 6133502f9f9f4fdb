"""Puts the dashboard on the orchestrator's app: its pages, its forms, its static files."""

from fastapi import FastAPI, Request, status
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from saga_orchestrator.settings import Settings
from saga_orchestrator.ui import actions, pages
from saga_orchestrator.ui.counts import StatusCounts
from saga_orchestrator.ui.session import Sessions
from saga_orchestrator.ui.web import HERE, LoginRequired


def install(app: FastAPI, settings: Settings) -> None:
    app.state.ui_sessions = Sessions(settings.correlation_secret.get_secret_value(), settings.keys)
    app.state.ui_counts = StatusCounts()
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    app.add_exception_handler(LoginRequired, _to_login)


async def _to_login(request: Request, exc: Exception) -> RedirectResponse:
    return RedirectResponse("/ui/login", status.HTTP_303_SEE_OTHER)
