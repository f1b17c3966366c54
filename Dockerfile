# appconnect in a small image, running as a non-root user.
#
#   docker build -t appconnect .
#   docker run --rm -p 6066:6066 -e APP_SERVER_SECRET_KEY=... -e HASH_KEY=... \
#     -e DATABASE_URL=postgresql://user:password@db.example.com/appconnect appconnect
#
# The package is built exactly as pyproject.toml says (hatchling builds the wheel of
# `appconnect-server`) and installed with its `postgres` extra; nothing else of the checkout is copied.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip wheel --wheel-dir /wheels "$(ls /wheels/appconnect_server-*.whl)[postgres]"

FROM python:${PYTHON_VERSION}-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels "appconnect-server[postgres]" \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --user-group --home-dir /app --create-home appconnect
USER appconnect
WORKDIR /app
# Production defaults; secrets and DATABASE_URL come from the environment (see the README's checklist).
ENV IS_PROD=true APP_HOST=0.0.0.0 PORT=6066 APPCONNECT_STATE_FILE=/app/.appconnect/state.json
EXPOSE 6066
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/health/ready', timeout=4)"]
ENTRYPOINT ["appconnect"]
CMD ["serve", "--workers", "2"]
