# Multi-stage: build the virtualenv with the dependencies, then run as a non-root user.
# Serves the seeded SQLite database on 0.0.0.0:8000; set DATABASE_URL for PostgreSQL.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /venv/bin/pip install '.[postgres]'

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TECHSOV_DATA_DIR=/data \
    TECHSOV_SEED_DIR=/app/seed
RUN useradd --create-home --uid 10001 techsov && mkdir /data && chown techsov /data
COPY --from=build /venv /venv
WORKDIR /app
# The source tree (not only the installed package) so migrations/ and seed/ are found.
COPY app ./app
COPY migrations ./migrations
COPY seed ./seed
USER techsov
# The SQLite file (created, migrated and seeded on first start) outlives the container.
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
CMD ["techsov", "serve", "--host", "0.0.0.0", "--port", "8000"]
