"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

import gc

from app import create_app

app = create_app()

# What is loaded by now (modules, the app, its routes, templates' environment) lives as long as the
# process: kept out of the collector's full passes, which otherwise walk those ~300,000 objects about
# once every fifteen requests of a busy page and add 150-200 ms to that request (bench/README.md).
gc.freeze()
