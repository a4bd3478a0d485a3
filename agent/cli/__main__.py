"""`python -m agent.cli`: the same as the `remiss` command."""

from agent.cli import main

main()
