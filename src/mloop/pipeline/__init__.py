"""The pipeline engine, by concern: `definition` (what a pipeline is), `caching` (whether a step
must run), `execution` (running it), `results` (reading what happened). Each imports only the
ones before it; users import from `mloop`."""
