"""`remiss`: the command line of Remissagenten (Swedish for the user, English in the code).

One typer app with sub-apps: `index` (agent/cli/index.py), `eval` (agent/cli/evaluation.py) and the
commands `search`/`show` (lookup.py), `draft` and `chat` (drafting.py) and `app` (webapp.py).
"""

from __future__ import annotations

import typer

from agent.cli import drafting, lookup, webapp
from agent.cli.evaluation import eval_app
from agent.cli.index import index_app
from agent.cli.users import users_app
from agent.cli.webapp import streamlit_command

app = typer.Typer(
    help="Remissagenten: utkast till förvaltningens synpunkter på remisser, förankrade i lag och "
    "tidigare remissvar. Allt körs lokalt som standard.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    epilog="Exempel:  remiss index build  ·  remiss draft motion.pdf  ·  "
    'remiss search "Får kommunen stödja ett enskilt företag?"  ·  remiss show "KL 2:2"  ·  '
    "remiss index add ~/arkiv/remissvar/   "
    "(Inställningar: miljövariabler REMISS_*, se README.)",
)
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="user")
app.command()(lookup.search)
app.command()(lookup.show)
app.command()(drafting.draft)
app.command()(drafting.chat)
app.command("app")(webapp.run_app)

__all__ = ["app", "main", "streamlit_command"]


def main() -> None:  # pragma: no cover - console entry point
    app()
