"""Run a management command the way `python manage.py ...` does, in this process.

`run_from_argv` is the code path that turns a CommandError into a message on stderr
and a non-zero exit status, so the tests check exactly what an operator sees. It also
closes every database connection when it is done, which would end the test's
transaction; that one call is switched off while the command runs.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from unittest import mock

from django.core.management import ManagementUtility
from django.db import connections

from prm.tenancy.db import tenant_connection

connection = tenant_connection()


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


def run_manage(*argv: str) -> CommandResult:
    stdout, stderr = io.StringIO(), io.StringIO()
    previous_tenant = connection.tenant
    exit_code = 0
    with (
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        mock.patch.object(connections, "close_all"),
    ):
        try:
            ManagementUtility(["manage.py", *argv]).execute()
        except SystemExit as exit_:
            exit_code = exit_.code if isinstance(exit_.code, int) else 1
    connection.set_tenant(previous_tenant)
    return CommandResult(exit_code, stdout.getvalue(), stderr.getvalue())
