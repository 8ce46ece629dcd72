"""The yardstick: a bare Flask hello-world, served by bench/http_bench.py exactly as Atrium is."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
