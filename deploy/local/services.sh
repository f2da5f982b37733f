#!/usr/bin/env bash
# Starts the services in the background against the local infrastructure (.local/infra.env:
# Kafka, the database, and the mail capture server that notifications sends to), each with
# its log and pid file under .local/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${MARKETPLACE_STATE:-$ROOT/.local}"
# The portal comes last: it only calls the others.
SERVICES=(needs:${NEEDS_PORT:-8001} suppliers:${SUPPLIERS_PORT:-8002} matching:${MATCHING_PORT:-8003}
          notifications:${NOTIFICATIONS_PORT:-8004} portal:${PORTAL_PORT:-8000})

say() { printf '[services] %s\n' "$*" >&2; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# What one service gets beyond what every one gets (infra.env, its port, its group instance id).
service_env() { # name port -> one VAR=value per line
    case "$1" in
        # Local development: a new address counts as verified at once (the mail only goes
        # to the capture directory anyway), and the links in messages use the local ports.
        notifications)
            echo "NOTIFICATIONS_AUTO_VERIFY=true"
            echo "NOTIFICATIONS_PUBLIC_URL=http://127.0.0.1:$2"
            echo "NOTIFICATIONS_PORTAL_URL=http://127.0.0.1:${PORTAL_PORT:-8000}"
            ;;
        # The portal calls the others on the ports they were started on here.
        portal)
            echo "PORTAL_NEEDS_URL=http://127.0.0.1:${NEEDS_PORT:-8001}"
            echo "PORTAL_SUPPLIERS_URL=http://127.0.0.1:${SUPPLIERS_PORT:-8002}"
            echo "PORTAL_MATCHING_URL=http://127.0.0.1:${MATCHING_PORT:-8003}"
            echo "PORTAL_NOTIFICATIONS_URL=http://127.0.0.1:${NOTIFICATIONS_PORT:-8004}"
            ;;
    esac
}

cmd_up() {
    [[ -f "$STATE/infra.env" ]] || { say "no $STATE/infra.env: run 'make infra' first"; exit 1; }
    set -a; source "$STATE/infra.env"; set +a
    mkdir -p "$STATE/logs"
    local started=()
    for entry in "${SERVICES[@]}"; do
        local name="${entry%%:*}" port="${entry##*:}"
        local pidfile="$STATE/$name.pid"
        if pid_alive "$pidfile"; then say "$name already running (pid $(cat "$pidfile"))"; continue; fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            say "port $port for $name is in use by another program: set ${name^^}_PORT to another port"
            exit 1
        fi
        local upper="${name^^}" extra=()
        mapfile -t extra < <(service_env "$name" "$port")
        # A stable consumer name (static group membership): a restart takes its partitions
        # back at once instead of waiting out the old session and a rebalance.
        env "${upper}_PORT=$port" "MARKETPLACE_KAFKA_GROUP_INSTANCE_ID=$name-0" "${extra[@]}" \
            nohup "$ROOT/.venv/bin/python" -m "$name" \
            >"$STATE/logs/$name.log" 2>&1 </dev/null &
        echo $! >"$pidfile"
        echo "$port" >"$STATE/$name.port"
        started+=("$name:$port")
    done
    for entry in "${started[@]}"; do
        local name="${entry%%:*}" port="${entry##*:}"
        local ok=""
        for _ in $(seq 1 120); do
            local path=/health/ready
            [[ "$name" == portal ]] && path=/health
            if curl -fsS "http://127.0.0.1:$port$path" >/dev/null 2>&1; then ok=1; break; fi
            pid_alive "$STATE/$name.pid" || break
            sleep 0.5
        done
        if [[ -z "$ok" ]]; then
            say "$name did not become ready; last lines of $STATE/logs/$name.log:"
            tail -20 "$STATE/logs/$name.log" >&2
            exit 1
        fi
        say "$name ready on http://127.0.0.1:$port"
    done
}

cmd_down() {
    for entry in "${SERVICES[@]}"; do
        local name="${entry%%:*}" pidfile="$STATE/${entry%%:*}.pid"
        if pid_alive "$pidfile"; then
            local pid; pid="$(cat "$pidfile")"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -KILL "$pid" 2>/dev/null || true
            say "stopped $name (pid $pid)"
        fi
        rm -f "$pidfile"
    done
}

cmd_status() {
    for entry in "${SERVICES[@]}"; do
        local name="${entry%%:*}"
        if pid_alive "$STATE/$name.pid"; then
            echo "$name: running (pid $(cat "$STATE/$name.pid"), http://127.0.0.1:$(cat "$STATE/$name.port"))"
        else
            echo "$name: stopped"
        fi
    done
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
