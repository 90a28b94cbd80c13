#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite (v1.1.x) against a running registry,
# with pull, push, content discovery, content management and cross-mount (automatic
# included) enabled. The suite itself is not part of this repository: build its test
# binary first (see docs/testing.md, "OCI conformance") and pass its path.
#
#   scripts/oci-conformance.sh <conformance.test> [registry URL] [admin token]
set -euo pipefail
BIN=${1:?path to the built conformance.test binary}
BASE=${2:-http://127.0.0.1:8787}
ADMIN=${3:-$(sed -n 's/^ORBITALREG_ADMIN_TOKEN="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$(dirname "$0")/../.dev.vars")}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
call() { curl -sf -X POST "$BASE$1" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$2"; }

PROJECT=$(call /api/v1/projects "{\"slug\":\"conformance-$RANDOM$RANDOM\"}")
PID=$(echo "$PROJECT" | field id)
SLUG=$(echo "$PROJECT" | field slug)
for repo in main other; do call /api/v1/repos "{\"project_id\":\"$PID\",\"slug\":\"$repo\",\"format\":\"docker\"}" >/dev/null; done
SA=$(call "/api/v1/projects/$PID/service_accounts" '{"name":"conformance","role":"writer"}' | field id)
TOKEN=$(call "/api/v1/projects/$PID/service_accounts/$SA/tokens" '{"name":"conformance","expires_in":3600}' | field token)

REPORT=${OCI_REPORT_DIR:-$(mktemp -d)}
mkdir -p "$REPORT"
echo "report: $REPORT"
cd "$REPORT"
OCI_ROOT_URL=$BASE OCI_NAMESPACE=$SLUG/main/conformance OCI_CROSSMOUNT_NAMESPACE=$SLUG/other/conformance \
OCI_USERNAME=conformance OCI_PASSWORD=$TOKEN \
OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1 OCI_AUTOMATIC_CROSSMOUNT=1 \
OCI_REPORT_DIR=$REPORT exec "$BIN"
