# One image for the API, the worker and the migration job (the compose file picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY services ./services
COPY api ./api
COPY web ./web
COPY workers ./workers
COPY infra ./infra
COPY config ./config
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 app
USER app
EXPOSE 8000
CMD ["python", "-m", "api.main"]
