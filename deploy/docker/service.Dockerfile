# One image definition for the three services; SERVICE picks which one runs.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable
ARG SERVICE
ENV SERVICE=${SERVICE} PATH=/app/.venv/bin:$PATH
EXPOSE 8001 8002 8003
CMD ["sh", "-c", "exec python -m ${SERVICE}"]
