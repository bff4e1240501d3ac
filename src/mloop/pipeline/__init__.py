"""The pipeline engine: steps, pipelines (Python and YAML), the graph IR, caching and execution."""
