#!/bin/sh
# Compose's one-shot `temporal-namespace` job (image temporalio/admin-tools): the namespace with its
# retention and Tourniquet's search attributes, as tools/cluster/temporal-server.ts prepareNamespace()
# does for `npm run cluster`. The worker refuses to start without the attributes. Safe to run again:
# an existing namespace gets its retention updated, registered attributes are left alone.
set -eu
: "${TEMPORAL_ADDRESS:?}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TOURNIQUET_RETENTION:-30d}
# Keep in step with SEARCH_ATTRIBUTES in workflows/search-attributes.ts (test/deploy-compose.test.ts checks).
ATTRIBUTES="TourniquetState TourniquetOutcome TourniquetPlaybook TourniquetRequester TourniquetMode TourniquetSource"

temporal operator cluster health --address "$TEMPORAL_ADDRESS"
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
fi
# A new namespace reaches the server's namespace cache within seconds, not at once: until it does, the
# attribute calls answer "Namespace ... is not found".
tries=0
until listed=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" -o json 2>&1); do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "$listed" >&2; exit 1; fi
  sleep 1
done
for name in $ATTRIBUTES; do
  if ! echo "$listed" | grep -q "\"$name\""; then
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --name "$name" --type Keyword
  fi
done
echo "namespace $NAMESPACE: retention $RETENTION; search attributes $ATTRIBUTES"
