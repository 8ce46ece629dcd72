"""`flask translate extract|update|compile|init LOCALE`: the standard pybabel workflow, wrapped."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext"]


def _pybabel(*args: str, quiet: bool = False) -> None:
    # Run from the project root so the catalogs record relative source paths.
    previous = Path.cwd()
    os.chdir(ROOT)
    # pybabel prints through a handler of its own on the "babel" logger; passed on to the application's
    # handlers too, every line would be printed twice.
    babel_log = logging.getLogger("babel")
    propagate, babel_log.propagate = babel_log.propagate, False
    try:
        CommandLineInterface().run(["pybabel", *(["--quiet"] if quiet else []), *args])
    except SystemExit as exc:  # pybabel exits on errors; surface them as a failed command
        if exc.code:
            sys.exit(exc.code)
    finally:
        babel_log.propagate = propagate
        os.chdir(previous)


def extract() -> None:
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *KEYWORDS,
        "--no-wrap",
        "--sort-by-file",
        "--project",
        "Atrium",
        "--copyright-holder",
        "Atrium contributors",
        "--msgid-bugs-address",
        "translations@atrium.example",
        "-o",
        str(POT),
        ".",
    )


def register_translation_cli(app: Flask) -> None:
    @app.cli.group("translate")
    def translate() -> None:
        """Extract, update and compile the translation catalogs in translations/."""

    @translate.command("extract")
    def extract_command() -> None:
        """Collect every translatable string into translations/messages.pot."""
        extract()

    @translate.command("update")
    def update_command() -> None:
        """Extract, then merge new strings into every locale's messages.po."""
        extract()
        _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-wrap", "--ignore-obsolete")

    @translate.command("compile")
    @click.option("--quiet", is_flag=True, help="Print only errors.")
    def compile_command(quiet: bool) -> None:
        """Compile every messages.po into the messages.mo the application reads."""
        _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics", quiet=quiet)

    @translate.command("init")
    @click.argument("locale")
    def init_command(locale: str) -> None:
        """Start a catalog for a new LOCALE (e.g. it, ja, pt_BR)."""
        extract()
        _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-wrap")
