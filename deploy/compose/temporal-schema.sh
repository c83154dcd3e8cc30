#!/bin/sh
# Compose's one-shot `temporal-schema` job (image temporalio/admin-tools, the server's own version):
# the steps tools/cluster/temporal-server.ts takes (applySchemas) for `npm run cluster`. Both
# databases are created and given their base schema once; every run then updates them to this
# server version's schema, so upgrading the image and running the job again migrates them.
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD from the environment.
set -eu
: "${SQL_PLUGIN:?}" "${SQL_HOST:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

for db in temporal temporal_visibility; do
  # create-database fails on a database that exists: then its base schema is there too (a failed
  # first run that created the database but not the schema is the one case to clean up by hand).
  if out=$(SQL_DATABASE=$db temporal-sql-tool create-database 2>&1); then
    echo "created database $db"
    SQL_DATABASE=$db temporal-sql-tool setup-schema -v 0.0
  elif echo "$out" | grep -q 'already exists'; then
    echo "database $db exists"
  else
    echo "$out" >&2
    exit 1
  fi
done
SQL_DATABASE=temporal temporal-sql-tool update-schema -d "$SCHEMA_DIR/temporal/versioned"
SQL_DATABASE=temporal_visibility temporal-sql-tool update-schema -d "$SCHEMA_DIR/visibility/versioned"

# The server image has no Temporal CLI: its health check runs this copy (the `temporal-cli` volume).
if [ -n "${CLI_DIR:-}" ]; then cp /usr/local/bin/temporal "$CLI_DIR/temporal"; fi
echo "schemas up to date"
