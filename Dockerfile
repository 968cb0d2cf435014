# The app image used by docker-compose: gunicorn serving Django, whitenoise serving static files.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
# collectstatic only reads settings; the URL below is parsed, never connected to.
RUN DATABASE_URL=postgres://build@localhost/build DJANGO_SECRET_KEY=build \
    uv run --no-dev python manage.py collectstatic --no-input --verbosity 0

# gunicorn.conf.py reads these; set GUNICORN_ACCESS_LOG=- for an access log.
ENV GUNICORN_BIND=0.0.0.0:8000 WEB_CONCURRENCY=3
EXPOSE 8000
# The demo (with its well-known passwords) loads only when asked for.
CMD ["sh", "-c", "uv run --no-dev --frozen python manage.py migrate --no-input && if [ \"$NORTHSTAR_LOAD_DEMO\" = 1 ]; then uv run --no-dev --frozen python manage.py load_demo --if-empty; fi && exec uv run --no-dev --frozen gunicorn --config gunicorn.conf.py"]
