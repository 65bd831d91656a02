"""manage.py beside the run command: the run command writes .devdata/env, and the local
settings read it, so a second shell reaches the same database, Redis and secret key."""

import os
import subprocess
import sys
from pathlib import Path

from prm.devstack import __main__ as devstack

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SECRET_KEY); print(settings.DATABASES['default']['NAME']); "
    "print(settings.REDIS_URL); print(settings.PRM_PUBLIC_PORT)"
)


def settings_seen(env_file: Path, **environment: str) -> list[str]:
    """What the local settings make of a shell that has only `environment` set."""
    base = {"PATH": os.environ["PATH"], "HOME": str(env_file.parent)}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "prm.settings.local",
            "PRM_ENV_FILE": str(env_file),
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.split()


def test_a_second_shell_gets_what_the_run_command_uses(tmp_path: Path, monkeypatch) -> None:
    # given the run command's environment, written while it runs
    env_file = tmp_path / "env"
    monkeypatch.setattr(devstack, "ENV_FILE", env_file)
    running = {
        "SECRET_KEY": "run-command-secret",
        "DATABASE_URL": "postgres://postgres@%2Ftmp%2Fpg:5433/prm",
        "REDIS_URL": "redis://127.0.0.1:6391/0",
        "PRM_PUBLIC_PORT": "8123",
        "UNRELATED": "not shared",
    }
    devstack.write_env_file(running, running=True)

    # when manage.py's settings load in a shell that has none of it
    seen = settings_seen(env_file)

    # then they use the run command's key, database, Redis and port
    assert seen == ["run-command-secret", "prm", "redis://127.0.0.1:6391/0", "8123"]
    assert "UNRELATED" not in env_file.read_text()
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"


def test_the_shell_wins_and_a_stopped_run_leaves_only_the_key(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / "env"
    monkeypatch.setattr(devstack, "ENV_FILE", env_file)
    devstack.write_env_file(
        {"SECRET_KEY": "k", "DATABASE_URL": "postgres://x@h/prm", "REDIS_URL": "redis://h/0"},
        running=True,
    )

    # a variable set in the shell is not overridden by the file
    seen = settings_seen(env_file, REDIS_URL="redis://127.0.0.1:6379/9")
    assert seen[2] == "redis://127.0.0.1:6379/9"

    # once the run command stops, the URLs of its (now stopped) services are gone
    devstack.write_env_file(
        {"SECRET_KEY": "k", "DATABASE_URL": "postgres://x@h/prm", "REDIS_URL": "redis://h/0"},
        running=False,
    )
    assert env_file.read_text().splitlines()[1:] == ["SECRET_KEY=k"]
