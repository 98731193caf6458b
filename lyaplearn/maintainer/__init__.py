"""The maintainer's tools: the benchmark."""
