# khp-monitor: one image for the evaluator (`khp run`, the default) and the receiver (gunicorn).
#   docker build -t khp-monitor .
#   docker run --rm -e KHP_CONFIG=/srv/khp/deploy/khp.yml -v "$PWD/deploy/khp.yml:/srv/khp/deploy/khp.yml:ro" khp-monitor check
# docker-compose.yml runs the whole stack; paths in the container mirror the repository.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Build from a copy that is removed afterwards: only the installed package stays in the image.
COPY . /tmp/khp-src
RUN pip install /tmp/khp-src \
    && rm -rf /tmp/khp-src \
    && useradd --system --uid 10001 --user-group --home-dir /srv/khp --shell /usr/sbin/nologin khp \
    && mkdir -p /srv/khp/var \
    && chown -R khp:khp /srv/khp

WORKDIR /srv/khp
# State (embedded store, cycle log, outbox, history spool) lives here; mount a volume on it.
VOLUME ["/srv/khp/var"]
USER khp

# exporter.listen (evaluator /metrics) and the receiver's gunicorn --bind
EXPOSE 9464 8080

ENTRYPOINT ["khp"]
CMD ["run"]
