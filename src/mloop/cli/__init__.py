"""The `mloop` command: thin commands that parse, call the public API and print."""
