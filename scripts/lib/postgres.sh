#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the test suite on a free loopback port, in a
# temporary directory, and stops it on exit. Exports the connection string that
# Backstage's TestDatabases and K2's backend boot tests read.

k2_start_postgres() {
  local bindir
  bindir="$(k2_postgres_bindir)"
  if [ -z "$bindir" ]; then
    k2_need_package /usr/lib/postgresql/15/bin/initdb postgresql "database tests on PostgreSQL" || return 1
    bindir="$(k2_postgres_bindir)"
  fi
  local major
  major="$("$bindir/postgres" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"

  K2_PG_DIR="$(mktemp -d /tmp/k2-postgres.XXXXXX)"
  K2_PG_PORT="$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  local run=()
  # PostgreSQL refuses to run as root; use the postgres system user the package creates.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$K2_PG_DIR"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$K2_PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$K2_PG_DIR/initdb.log" 2>&1 ||
    { cat "$K2_PG_DIR/initdb.log" >&2; k2_die "initdb failed"; return 1; }
  "${run[@]}" "$bindir/pg_ctl" -D "$K2_PG_DIR/data" -l "$K2_PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $K2_PG_PORT -k $K2_PG_DIR -c fsync=off -c max_connections=300" start >/dev/null ||
    { cat "$K2_PG_DIR/server.log" >&2; k2_die "PostgreSQL did not start"; return 1; }
  K2_PG_STOP=("${run[@]}" "$bindir/pg_ctl" -D "$K2_PG_DIR/data" -m fast stop)

  export K2_TEST_POSTGRES_ID="POSTGRES_${major}"
  export K2_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:${K2_PG_PORT}"
  export "BACKSTAGE_TEST_DATABASE_POSTGRES${major}_CONNECTION_STRING=$K2_TEST_POSTGRES_URL"
  k2_log "PostgreSQL $major running on 127.0.0.1:$K2_PG_PORT (data in $K2_PG_DIR)"
}

k2_stop_postgres() {
  if [ -n "${K2_PG_DIR:-}" ]; then
    "${K2_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$K2_PG_DIR"
    K2_PG_DIR=
  fi
}
