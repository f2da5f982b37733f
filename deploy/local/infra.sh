#!/usr/bin/env bash
# Local infrastructure without Docker: real Apache Kafka (KRaft, from Maven Central's jars on
# the local Java) and FerretDB (MongoDB wire protocol, SQLite backend, built from the Go
# module proxy), and the development SMTP server that writes every message it accepts to
# $MARKETPLACE_STATE/mail/ (mail_capture.py, on the project's .venv). Downloads and builds
# are cached in $MARKETPLACE_CACHE; running state (data, logs, pid files, captured mail, the
# chosen endpoints) lives in $MARKETPLACE_STATE.
#
#   infra.sh up      provision what is missing, start what is not running, wait until ready
#   infra.sh down    stop what this script started (nothing else)
#   infra.sh status  say what runs where
#   infra.sh provision  only fetch/build (no start)
#   infra.sh scale-db   the benchmark's own FerretDB, whose data (the seeded national
#                       volumes, an hour to build at 100 000 needs) lives in the cache, so
#                       every clone on this machine finds it; writes $STATE/scale-db.env
#
# KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL set in the environment mean "use that existing
# cluster": the matching local server is then neither provisioned nor started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${MARKETPLACE_CACHE:-$HOME/.cache/marketplace}"
STATE="${MARKETPLACE_STATE:-$ROOT/.local}"
KAFKA_VERSION="4.4.0"
FERRETDB_VERSION="1.24.2"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
# The launcher's sources name its build, so a change to them builds it again.
LAUNCHER_HASH="$(cat "$HERE"/ferretdb/*.go "$HERE"/ferretdb/go.mod | sha256sum | cut -c1-12)"
FERRETDB_BIN="$CACHE/ferretdb-$FERRETDB_VERSION/bin/ferretdb-local-$LAUNCHER_HASH"
ENV_FILE="$STATE/infra.env"
READY_TIMEOUT="${MARKETPLACE_READY_TIMEOUT:-90}"
PYTHON="${MARKETPLACE_PYTHON:-$ROOT/.venv/bin/python}"

say() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

need_tool() { # tool debian-package
    command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: install the Debian package '$2' (apt-get install $2)"
}

port_in_use() { # port -> 0 when something listens on 127.0.0.1:port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pid_alive() { # pidfile
    [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

provision_kafka() {
    if [[ -f "$KAFKA_HOME/.complete" ]]; then return; fi
    need_tool java openjdk-17-jre-headless
    need_tool mvn maven
    say "fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central (once)"
    # A partial directory of its own: another checkout may be fetching at the same time.
    local tmp
    mkdir -p "$(dirname "$KAFKA_HOME")"
    tmp="$(mktemp -d "$KAFKA_HOME.partial.XXXXXX")"
    mvn -q -B -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" \
        >"$tmp/maven.log" 2>&1 || { tail -20 "$tmp/maven.log" >&2; die "Maven could not fetch Kafka"; }
    touch "$tmp/.complete"
    if [[ -f "$KAFKA_HOME/.complete" ]]; then rm -rf "$tmp"; return; fi  # the other one won
    rm -rf "$KAFKA_HOME" && mv "$tmp" "$KAFKA_HOME"
}

provision_ferretdb() {
    if [[ -x "$FERRETDB_BIN" ]]; then return; fi
    need_tool go golang-go
    say "building FerretDB $FERRETDB_VERSION from the Go module proxy (once)"
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    local partial="$FERRETDB_BIN.partial.$$"  # of its own: another checkout may build too
    (cd "$HERE/ferretdb" && GOFLAGS=-mod=mod go build -trimpath -o "$partial" .) \
        || die "go build of FerretDB failed"
    mv -f "$partial" "$FERRETDB_BIN"
}

pick_port() { # preferred-port -> preferred, or a free one when it is taken
    if port_in_use "$1"; then
        local p; p="$(free_port)"
        say "port $1 is in use by another program; using $p instead"
        echo "$p"
    else
        echo "$1"
    fi
}

start_kafka() {
    local pidfile="$STATE/kafka.pid"
    if pid_alive "$pidfile"; then
        KAFKA_PORT="$(cat "$STATE/kafka.port")"
        say "Kafka already running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$pidfile"))"
        return
    fi
    need_tool java openjdk-17-jre-headless
    KAFKA_PORT="$(pick_port "${KAFKA_PORT:-9092}")"
    local controller_port; controller_port="$(pick_port "${KAFKA_CONTROLLER_PORT:-9093}")"
    local data="$STATE/kafka/data" logs="$STATE/logs"
    mkdir -p "$data" "$logs"
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
        -e "s|@DATA_DIR@|$data|g" "$HERE/kafka/server.properties.template" >"$STATE/kafka/server.properties"
    local cp="$KAFKA_HOME/libs/*"
    local jvm=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$HERE/kafka/log4j2.properties" "-Dkafka.logs.dir=$logs")
    if [[ ! -f "$data/meta.properties" ]]; then
        local cluster_id
        cluster_id="$(java -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
        java -cp "$cp" "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
            -c "$STATE/kafka/server.properties" >"$logs/kafka-format.log" 2>&1 \
            || { cat "$logs/kafka-format.log" >&2; die "formatting Kafka storage failed"; }
    fi
    nohup java -cp "$cp" "${jvm[@]}" kafka.Kafka "$STATE/kafka/server.properties" \
        >"$logs/kafka.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "$KAFKA_PORT" >"$STATE/kafka.port"
    say "Kafka $KAFKA_VERSION starting on 127.0.0.1:$KAFKA_PORT (logs: $logs/server.log)"
}

start_ferretdb() {
    local pidfile="$STATE/ferretdb.pid"
    if pid_alive "$pidfile"; then
        MONGO_PORT="$(cat "$STATE/ferretdb.port")"
        say "FerretDB already running on 127.0.0.1:$MONGO_PORT (pid $(cat "$pidfile"))"
        return
    fi
    MONGO_PORT="$(pick_port "${MONGO_PORT:-27017}")"
    local data="$STATE/ferretdb/data" logs="$STATE/logs"
    mkdir -p "$data" "$logs"
    nohup "$FERRETDB_BIN" --listen-addr "127.0.0.1:$MONGO_PORT" --data-dir "$data" \
        >"$logs/ferretdb.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "$MONGO_PORT" >"$STATE/ferretdb.port"
    say "FerretDB $FERRETDB_VERSION (SQLite backend) starting on 127.0.0.1:$MONGO_PORT"
}

need_python() {
    [[ -x "$PYTHON" ]] || die "no Python environment at $PYTHON: run 'uv sync' first (make does)"
}

start_mail_capture() {
    local pidfile="$STATE/mail-capture.pid"
    MAIL_DIR="$(cd "$STATE" && pwd)/mail"
    if pid_alive "$pidfile"; then
        SMTP_PORT="$(cat "$STATE/mail-capture.port")"
        say "mail capture already running on 127.0.0.1:$SMTP_PORT (pid $(cat "$pidfile"))"
        return
    fi
    need_python
    "$PYTHON" -c 'import aiosmtpd' 2>/dev/null \
        || die "aiosmtpd is missing from $PYTHON: run 'uv sync --frozen' (make bootstrap does)"
    SMTP_PORT="$(pick_port "${MAIL_CAPTURE_PORT:-2525}")"
    local logs="$STATE/logs"
    mkdir -p "$MAIL_DIR" "$logs"
    nohup "$PYTHON" "$HERE/mail_capture.py" --host 127.0.0.1 --port "$SMTP_PORT" \
        --dir "$MAIL_DIR" >"$logs/mail-capture.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "$SMTP_PORT" >"$STATE/mail-capture.port"
    say "mail capture (SMTP) starting on 127.0.0.1:$SMTP_PORT, writing to $MAIL_DIR"
}

wait_ready() { # kafka-url mongo-url smtp-host:port
    need_python
    "$PYTHON" "$HERE/wait_ready.py" --timeout "$READY_TIMEOUT" \
        --kafka "$1" --mongo "$2" --smtp "$3" || die "infrastructure did not become ready; see $STATE/logs"
}

cmd_up() {
    mkdir -p "$STATE"
    local kafka_url mongo_url
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        kafka_url="$KAFKA_BOOTSTRAP_SERVERS"
        say "using the existing Kafka at $kafka_url"
    else
        provision_kafka
        start_kafka
        kafka_url="127.0.0.1:$KAFKA_PORT"
    fi
    if [[ -n "${MONGODB_URL:-}" ]]; then
        mongo_url="$MONGODB_URL"
        say "using the existing database at $mongo_url"
    else
        provision_ferretdb
        start_ferretdb
        mongo_url="mongodb://127.0.0.1:$MONGO_PORT/"
    fi
    start_mail_capture
    wait_ready "$kafka_url" "$mongo_url" "127.0.0.1:$SMTP_PORT"
    {
        echo "KAFKA_BOOTSTRAP_SERVERS=$kafka_url"
        echo "MONGODB_URL=$mongo_url"
        echo "MARKETPLACE_FERRETDB_BIN=$FERRETDB_BIN"
        echo "MARKETPLACE_KAFKA_HOME=$KAFKA_HOME"
        echo "SMTP_HOST=127.0.0.1"
        echo "SMTP_PORT=$SMTP_PORT"
        echo "MAIL_CAPTURE_DIR=$MAIL_DIR"
    } >"$ENV_FILE"
    say "ready: Kafka $kafka_url, database $mongo_url, SMTP 127.0.0.1:$SMTP_PORT (written to $ENV_FILE)"
}

stop_pidfile() { # name pidfile
    local pidfile="$2"
    if ! pid_alive "$pidfile"; then rm -f "$pidfile"; return; fi
    local pid; pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
    say "stopped $1 (pid $pid)"
}

cmd_down() {
    stop_pidfile Kafka "$STATE/kafka.pid"
    stop_pidfile FerretDB "$STATE/ferretdb.pid"
    stop_pidfile "mail capture" "$STATE/mail-capture.pid"
    rm -f "$ENV_FILE"
}

cmd_status() {
    for name in kafka ferretdb mail-capture; do
        if pid_alive "$STATE/$name.pid"; then
            echo "$name: running (pid $(cat "$STATE/$name.pid"), port $(cat "$STATE/$name.port"))"
        else
            echo "$name: stopped"
        fi
    done
}

cmd_scale_db() {
    provision_ferretdb
    local home="$CACHE/scale-db" port
    mkdir -p "$home/data" "$STATE"
    if pid_alive "$home/ferretdb.pid"; then
        port="$(cat "$home/ferretdb.port")"
    else
        port="$(pick_port "${SCALE_MONGO_PORT:-27117}")"
        nohup "$FERRETDB_BIN" --listen-addr "127.0.0.1:$port" --data-dir "$home/data" \
            >"$home/ferretdb.log" 2>&1 </dev/null &
        echo $! >"$home/ferretdb.pid"
        echo "$port" >"$home/ferretdb.port"
        say "FerretDB for the scale benchmark starting on 127.0.0.1:$port (data: $home/data)"
    fi
    need_python
    "$PYTHON" "$HERE/wait_ready.py" --timeout "$READY_TIMEOUT" --mongo "mongodb://127.0.0.1:$port/" \
        || die "the scale benchmark's database did not become ready; see $home/ferretdb.log"
    {
        echo "MARKETPLACE_SCALE_MONGODB_URL=mongodb://127.0.0.1:$port/"
        echo "MARKETPLACE_SCALE_DB_DATA=$home/data"
    } >"$STATE/scale-db.env"
    say "scale benchmark database: mongodb://127.0.0.1:$port/"
}

cmd_scale_db_down() {
    stop_pidfile "FerretDB (scale benchmark)" "$CACHE/scale-db/ferretdb.pid"
    rm -f "$STATE/scale-db.env"
}

case "${1:-}" in
    up) cmd_up ;;
    scale-db) cmd_scale_db ;;
    scale-db-down) cmd_scale_db_down ;;
    down) cmd_down ;;
    status) cmd_status ;;
    provision) provision_kafka; provision_ferretdb ;;
    *) echo "usage: $0 up|down|status|provision|scale-db|scale-db-down" >&2; exit 2 ;;
esac
