"""Inputs of the CI-format, baseline, diff-base and pre-commit tests."""
