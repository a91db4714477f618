"""One module per ``cryotrace`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``."""
