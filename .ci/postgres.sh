# Sourced by .ci/run: start a throwaway PostgreSQL on loopback and export SCS_TEST_DATABASE_URL.
# PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDATA=$(mktemp -d /tmp/scs-pg.XXXXXX)
chown postgres "$PGDATA"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
su postgres -s /bin/sh -c "$PGBIN/initdb -D $PGDATA -A trust --no-sync -U postgres" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -w -l $PGDATA/log -o '-c listen_addresses=127.0.0.1 -p $PGPORT -c fsync=off -k $PGDATA' start" >/dev/null
export SCS_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
stop_postgres() { su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $PGDATA -m immediate stop" >/dev/null 2>&1 || true; }
trap stop_postgres EXIT
