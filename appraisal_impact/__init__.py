"""Appraisal Impact: model the impact of upcoming NICE SACT appraisals on each trust."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from the environment (then `config`), database, sign-in, pages, commands."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    from . import config as settings

    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(settings.deployment_settings())
    if config:
        app.config.update(config)

    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [
                FileSystemLoader(str(PROJECT_ROOT / "templates")),
                PackageLoader("nhsuk_frontend_jinja"),
            ]
        ),
        "autoescape": True,
    }

    from . import auth, cli, db, formatting, jobs, views

    db.init_app(app)
    jobs.init_app(app)
    if app.config["APP_ENV"] == "production":
        settings.refuse_unsafe_production(app)
    auth.init_app(app)
    formatting.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    if app.config.get("PROXY_COUNT"):
        # Behind N reverse proxies: take the client's address, scheme, host and prefix from their
        # X-Forwarded-* headers (only from that many: a client cannot forge its way past them).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    return app
