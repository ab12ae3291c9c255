"""Input/output: scenario YAML loading and atomic result writing."""
