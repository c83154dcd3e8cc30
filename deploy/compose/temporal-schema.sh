#!/bin/sh
# Compose's one-shot `temporal-schema` job (image temporalio/admin-tools, the server's own version):
# the steps tools/cluster/temporal-server.ts takes (applySchemas) for `npm run cluster`: both
# databases with their base schema, then this server version's schema updates. Compose runs it on
# every `up`, so upgrading the images migrates the databases.
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD from the environment.
set -eu
: "${SQL_PLUGIN:?}" "${SQL_HOST:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

for db in temporal temporal_visibility; do
  # Both are no-ops on a database that has them (test/deploy-compose-scripts.test.ts runs this twice):
  # setup-schema -v 0.0 leaves a newer schema version alone.
  SQL_DATABASE=$db temporal-sql-tool create-database
  SQL_DATABASE=$db temporal-sql-tool setup-schema -v 0.0
done
SQL_DATABASE=temporal temporal-sql-tool update-schema -d "$SCHEMA_DIR/temporal/versioned"
SQL_DATABASE=temporal_visibility temporal-sql-tool update-schema -d "$SCHEMA_DIR/visibility/versioned"

# The server image has no Temporal CLI: its health check runs this copy (the `temporal-cli` volume).
if [ -n "${CLI_DIR:-}" ]; then cp "$(command -v temporal)" "$CLI_DIR/temporal"; fi
echo "schemas up to date"
