from scs_toolkit.cli import run

run()
