#!/bin/sh
# Entry of each nats-server container of the pod: renders this server's config from the
# topology description (the same config file every container reads), then becomes the
# nats-server. `set -e` matters: a failed render must never start a server without users.
set -eu
dist="$(dirname "$0")/../dist"
conf="$(node "$dist/deploy/pod/nats-config.mjs" "$@")"
[ -n "$conf" ]
exec "${PORTCULLIS_NATS_SERVER:-/usr/sbin/nats-server}" -c "$conf"
