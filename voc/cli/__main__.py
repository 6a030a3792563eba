"""`python -m voc.cli ...` runs the command line as `voc ...` does."""

from voc.cli import main

main(prog_name="voc")
