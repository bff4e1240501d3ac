#!/usr/bin/env bash
# Make sure the servers the tests use are up: PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379.
# Starts whichever is down when its server is installed here. Installs Debian's chromium (for the
# browser tests of HTML pages) when it is missing and we are root or have password-less sudo. Never fails: the tests decide what a
# missing server means (skipped locally, a failure when CI=true).
set -u

reachable() {  # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() {  # name host port
    for _ in $(seq 1 50); do
        reachable "$2" "$3" && { echo "services: $1 is up at $2:$3"; return 0; }
        sleep 0.2
    done
    echo "services: $1 is still not reachable at $2:$3" >&2
    return 0
}

if reachable 127.0.0.1 5432; then
    echo "services: PostgreSQL is up at 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "services: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL 127.0.0.1 5432
else
    echo "services: PostgreSQL is not reachable and not installed here" >&2
fi

# The tests use database `test`; create it when the server is up but the database is not.
if reachable 127.0.0.1 5432 && command -v psql >/dev/null 2>&1; then
    exists=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null || true)
    if [ -z "$exists" ]; then
        psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" >/dev/null 2>&1 \
            && echo "services: created database test" || echo "services: could not create database test" >&2
    fi
fi

if reachable 127.0.0.1 6379; then
    echo "services: Redis is up at 127.0.0.1:6379"
elif command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_for Redis 127.0.0.1 6379
else
    echo "services: Redis is not reachable and not installed here" >&2
fi

# Headless chromium for the tests of HTML reports and pages (Playwright drives Debian's package).
if command -v chromium >/dev/null 2>&1; then
    echo "services: chromium is installed"
elif command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root="sudo -n"
    else
        as_root="none"
    fi
    if [ "$as_root" = none ]; then
        echo "services: chromium is missing; install it with: sudo apt-get install -y chromium chromium-driver" >&2
    else
        echo "services: installing chromium"
        { $as_root apt-get update -qq \
            && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
            >/dev/null 2>&1 || echo "services: could not install chromium" >&2
    fi
else
    echo "services: chromium is missing and apt-get is not available" >&2
fi

exit 0
