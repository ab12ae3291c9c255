"""``python -m ecoserve_opt.cli`` runs the ``ecoserve`` command."""

from ecoserve_opt.cli import app

app()
