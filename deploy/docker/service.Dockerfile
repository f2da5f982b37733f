# One image definition for the services; the build argument SERVICE (needs, suppliers,
# matching or notifications) picks which one the image runs. The same image also runs the demo
# (`python -m marketplace_tools.demo`) and the `marketplace` command, both from apps/tools
# (the services themselves never import it).
#
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=needs -t marketplace/needs .
# Stage 1: only the workspace's manifests (every member's pyproject.toml, whichever members
# there are), so that the dependency layer below is rebuilt only when a manifest changes.
FROM python:3.11-slim AS manifests
WORKDIR /src
COPY libs ./libs
COPY services ./services
COPY apps ./apps
RUN find . -type f ! -name pyproject.toml -delete && find . -type d -empty -delete

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv

WORKDIR /app
# Third-party dependencies first, from the lock file and the manifests alone.
COPY pyproject.toml uv.lock README.md ./
COPY --from=manifests /src/ ./
RUN uv sync --frozen --no-dev --no-install-workspace

# Then the workspace's own packages (installed, not editable: the image needs no sources).
COPY libs ./libs
COPY services ./services
COPY apps ./apps
RUN uv sync --frozen --no-dev --no-editable

ARG SERVICE=needs
RUN test -d "services/${SERVICE}/src/${SERVICE}" \
    || { echo "SERVICE must be needs, suppliers, matching or notifications, not '${SERVICE}'" >&2; exit 1; }
ENV SERVICE=${SERVICE} PATH=/app/.venv/bin:$PATH

# Run as an unprivileged user (numeric, so that Kubernetes' runAsNonRoot can check it).
RUN useradd --system --uid 10001 --no-create-home marketplace
USER 10001

EXPOSE 8001 8002 8003 8004
# Ready when Kafka and the database are up. The port is the service's own
# (<SERVICE>_PORT, else its default); compose and Kubernetes define their own checks too.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
    CMD python -c "import os, urllib.request as u; s = os.environ['SERVICE']; p = os.environ.get(s.upper() + '_PORT') or {'needs': '8001', 'suppliers': '8002', 'matching': '8003', 'notifications': '8004'}[s]; u.urlopen('http://127.0.0.1:' + p + '/health/ready', timeout=4)"
CMD ["sh", "-c", "exec python -m \"$SERVICE\""]
