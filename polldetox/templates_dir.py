"""Where the built-in Jinja templates are: shared by scaffold (source code) and the HTML report."""

from __future__ import annotations

from pathlib import Path


def built_in_templates() -> Path:
    """The built-in templates: inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"
