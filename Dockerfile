# Between in a container. NOT built or run on the machine this was written on (a Docker
# client but no Docker daemon there): untested as a whole. See README "Deployment".
#
#   docker build -t between .
#   docker volume create between-data
#   docker run -d --name between --restart on-failure --env-file /etc/between/env \
#       -v between-data:/data between                          # long polling
#   docker run ... -p 127.0.0.1:8443:8443 between python -m bot run --upgrade --webhook
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A dedicated user without a login; it owns only /data (the SQLite volume).
RUN groupadd --system between \
    && useradd --system --gid between --home-dir /data --shell /usr/sbin/nologin between \
    && install -d -o between -g between -m 0700 /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
# Read at run time from the working directory (LOCALES_DIR, CONTENT_DIR).
COPY content ./content
COPY locales ./locales

# Defaults an --env-file overrides; production refuses to start without ENCRYPTION_KEYS.
ENV ENVIRONMENT=production \
    DATABASE_URL=sqlite:////data/between.db \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443

USER between
VOLUME ["/data"]
# Only used with `run --webhook`; put an HTTPS reverse proxy in front.
EXPOSE 8443

CMD ["python", "-m", "bot", "run", "--upgrade"]
