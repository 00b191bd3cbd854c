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
CMD ["gunicorn", "qinqing.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
