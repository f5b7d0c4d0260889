"""One module per command-line subcommand, each with HELP, add_arguments(parser), estimate(args) and run(args)."""
