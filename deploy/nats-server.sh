#!/bin/sh
# Entry of each nats-server container of the pod: renders this server's config from the
# topology description (the same config file every container reads), then becomes the
# nats-server. `set -e` matters: a failed render must never start a server without users.
set -eu
dist="$(dirname "$0")/../dist"
conf="$(node "$dist/deploy/pod/nats-config.mjs" "$@")"
[ -n "$conf" ]
# One Go thread unless the operator says otherwise, as `portcullis up` runs it (topology/README.md).
GOMAXPROCS="${GOMAXPROCS:-1}"
export GOMAXPROCS
exec "${PORTCULLIS_NATS_SERVER:-/usr/sbin/nats-server}" -c "$conf"
