# One image for web, worker and beat; docker-compose.yml chooses the command.
#
#   docker build -t prm .
#   docker run --rm -p 8000:8000 -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... prm
#
# Default command: gunicorn on port 8000. Other commands, same image:
#   celery -A prm worker | celery -A prm beat | python manage.py migrate_all

# --- front-end packages: node_modules/ from package-lock.json ----------------------------
FROM node:22-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
# Distribution files only; no install scripts (none of these packages needs one, and
# swagger-ui-dist's dependency would otherwise phone home from the build).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error

# --- the application --------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=prm.settings.production

RUN groupadd --system --gid 10001 prm \
 && useradd --system --uid 10001 --gid prm --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin prm

# Dependencies first, so that a code change does not reinstall them. Every
# distribution is pinned with its hashes in requirements/base.txt (`make lock`) and
# all of them are wheels, so the slim image needs no compiler.
RUN python -m venv /opt/venv
COPY requirements/base.txt /tmp/requirements.txt
RUN pip install --require-hashes --only-binary=:all: -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

WORKDIR /app
# STATICFILES_DIRS (prm/settings/base.py) reads the vendor files from node_modules/.
COPY --from=frontend /build/node_modules ./node_modules
COPY . .

# Static files are collected into the image (STATIC_ROOT = .devdata/staticfiles) and
# served by WhiteNoise. The settings require these variables, but collectstatic
# connects to neither the database nor Redis: the values exist for this RUN only and
# never reach the image. Beat keeps its schedule in .devdata/ and media files go to
# .devdata/media, so that folder belongs to the user the processes run as.
RUN SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://collectstatic@127.0.0.1:1/unused \
    REDIS_URL=redis://127.0.0.1:1/0 \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p .devdata/media \
 && chown -R prm:prm .devdata

USER prm
EXPOSE 8000

# WEB_CONCURRENCY (gunicorn's own variable) sets the number of workers.
CMD ["gunicorn", "prm.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--limit-request-line", "8190"]
