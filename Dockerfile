# borderwatch: multi-stage build. The boundary index is prepared at build time so the
# service starts in about a second; no secrets are baked in (they come from the env).

# 1. Install the package into a virtual environment and build the boundary index from
#    the maritime boundaries package (OpenStreetMap data, ODbL) on the npm registry.
FROM python:3.11-slim AS build
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY service ./service
# apprise: the `apprise` receiver kind works in the image without a rebuild.
RUN pip install --no-cache-dir '.[build,apprise]'
# pycountry is only needed by the builder: drop it so the runtime venv stays small.
RUN python -m service.locate.build --out /app/var/boundaries.bin --cache-dir var/cache \
    && pip uninstall --yes --quiet pycountry

# 2. The runtime image: the venv, the index and the default config, as a non-root user.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /app borderwatch
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/var/boundaries.bin /app/var/boundaries.bin
COPY config ./config
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BORDERWATCH_BOUNDARIES=/app/var/boundaries.bin \
    BORDERWATCH_CONFIG=/app/config/borderwatch.yaml
LABEL org.opencontainers.image.title="borderwatch" \
      org.opencontainers.image.description="Alerts for state aircraft crossing borders" \
      org.opencontainers.image.licenses="MIT"
USER borderwatch
EXPOSE 9108
# SIGTERM (docker stop) stops polling, gives deliveries in flight 10 s, saves state.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4)"
ENTRYPOINT ["borderwatch"]
CMD ["run"]
