# syntax=docker/dockerfile:1
# Kizuna's production image: one image for web (gunicorn), Celery workers and beat.
# Configuration comes from the environment (see README "Configuration").

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 kizuna \
    && useradd --system --uid 10001 --gid kizuna --home-dir /app --no-create-home kizuna

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. The runtime
# dependencies of pyproject.toml are installed at exactly the versions pinned in
# requirements.lock (as constraints), leaving out the development tools.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/runtime.txt \
    && pip install --no-compile -r /tmp/runtime.txt -c requirements.lock \
    && rm /tmp/runtime.txt

COPY . .

# Static files are collected (hashed and compressed by WhiteNoise) at build time, with
# production settings; this throwaway key exists only for this step.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
        python manage.py collectstatic --noinput --verbosity 0 \
    && python -m config.translations compile \
    && mkdir -p /app/var \
    && chown -R kizuna:kizuna /app/var

USER kizuna
VOLUME ["/app/var"]
EXPOSE 8000

# gunicorn reads its worker count from WEB_CONCURRENCY. TLS ends at the proxy in
# front, which sets X-Forwarded-Proto (trusted through SECURE_PROXY_SSL_HEADER);
# gunicorn trusts forwarded headers only from FORWARDED_ALLOW_IPS (its own default:
# 127.0.0.1). The access log leaves link tokens out (config/access_log.py).
CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--timeout", "30", \
     "--access-logfile", "-", \
     "--logger-class", "config.access_log.RedactingLogger"]
