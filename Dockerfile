# The portal image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY . .
# Translations are committed compiled (locale/*.mo); static files get hashed names here.
RUN pip install -c requirements/constraints.txt -e . \
    && DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home qinqing && mkdir -p var && chown -R qinqing var
USER qinqing
EXPOSE 8000
# Two processes (one per core) of eight threads each, and connections kept alive behind a
# proxy (75 s, nginx's own): what the load test and the claims benchmark measured
# (bench/loadkit.py, docs/performance.md).
CMD ["gunicorn", "qinqing.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8", "--keep-alive", "75", "--access-logfile", "-"]
