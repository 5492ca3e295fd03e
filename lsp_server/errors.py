"""Errors the command line turns into exit codes.

    CliError           one line on stderr; exit 1 (an internal failure)
    └── UsageError     exit 2: bad usage or bad input (a missing ROOT, an unwritable output, ...)
"""
from __future__ import annotations


class CliError(Exception):
    exit_code = 1


class UsageError(CliError):
    exit_code = 2
