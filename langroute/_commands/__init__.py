"""Sub-commands of the ``langroute`` command line, one module each (see `langroute.cli`)."""
