# Sourced by .ci/run (issue #25): a streaming hot standby of a PostgreSQL cluster and a
# PgBouncer in transaction mode in front of it, both under a directory of our own.
# Functions only; nothing runs on sourcing. PostgreSQL refuses to run as root, so the
# servers run as the `postgres` user when we are root.

pg_bin() {  # the newest installed PostgreSQL's binary directory
  ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# allow_replication <port>: a replication entry for loopback in the primary's pg_hba.conf
# (trust, as the rest of CI's cluster), then a reload. Checks wal_level and max_wal_senders.
allow_replication() {
  local port=$1 hba
  hba=$(psql -h 127.0.0.1 -p "$port" -U postgres -tAc "show hba_file")
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]]' "$hba"; then
    echo "host replication all 127.0.0.1/32 trust" >>"$hba"
    psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select pg_reload_conf()" >/dev/null
  fi
  local level senders
  level=$(psql -h 127.0.0.1 -p "$port" -U postgres -tAc "show wal_level")
  senders=$(psql -h 127.0.0.1 -p "$port" -U postgres -tAc "show max_wal_senders")
  if [ "$level" = minimal ] || [ "$senders" -lt 2 ]; then
    echo "the primary on $port cannot stream (wal_level=$level, max_wal_senders=$senders)" >&2
    return 1
  fi
}

# start_standby <primary port> <standby port> <directory>: pg_basebackup -R (a fresh copy
# that streams from the primary) and a hot standby on the given port.
start_standby() {
  local primary=$1 port=$2 dir=$3 bin
  bin=$(pg_bin)
  stop_standby "$dir"
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir/data" \
    -R -X stream -c fast
  # A Debian cluster keeps its postgresql.conf, pg_hba.conf and pg_ident.conf under /etc, so
  # the copy has none: the standby gets its own (loopback only, trusted as CI's cluster).
  [ -f "$dir/data/postgresql.conf" ] || as_postgres touch "$dir/data/postgresql.conf"
  [ -f "$dir/data/pg_ident.conf" ] || as_postgres touch "$dir/data/pg_ident.conf"
  if [ ! -f "$dir/data/pg_hba.conf" ]; then
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" \
      "host replication all 127.0.0.1/32 trust" | as_postgres tee "$dir/data/pg_hba.conf" >/dev/null
  fi
  cat >>"$dir/data/postgresql.auto.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
hot_standby_feedback = on
CONF
  # The copy brings the primary's own settings; the ones under /etc stay the primary's.
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/standby.log" -w -t 60 start
  psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select pg_is_in_recovery()" | grep -qx t
}

stop_standby() {  # stop_standby <directory>
  local dir=$1
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop || true
  fi
}

# start_pgbouncer <postgres port> <pooler port> <directory>: PgBouncer in transaction mode,
# every database of the server behind it, the postgres user trusted (as CI's cluster is).
start_pgbouncer() {
  local pg_port=$1 port=$2 dir=$3
  stop_pgbouncer "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  echo '"postgres" ""' >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = postgres
INI
  as_postgres /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini"
  for _ in $(seq 1 40); do
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "PgBouncer did not start (see $dir/pgbouncer.log)" >&2
  return 1
}

stop_pgbouncer() {  # stop_pgbouncer <directory>
  local dir=$1
  if [ -f "$dir/pgbouncer.pid" ]; then
    kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    rm -f "$dir/pgbouncer.pid"
  fi
}
