#!/bin/sh
# App Service start command (appCommandLine in main.bicep): the blob forwarder (insights-logs-auditevent →
# the kv-audit queue, restarted if it exits) next to the bot, which answers on $PORT.
# Every replica runs a forwarder; that is safe: its per-blob offsets are compare-and-swap documents in Table
# Storage, Service Bus duplicate detection drops re-sends (MessageId = SHA-256 of the body) and event keys
# drop anything older. Only when sources.blob.sendTo is unset does serve read the blobs in-process instead.
set -u
CONFIG="${KV_WARDEN_CONFIG:-deploy/kv-warden.azure.yaml}"
(
  while true; do
    node bin/kv-warden.js forward --config "$CONFIG"
    echo "kv-warden forward exited with status $?; restarting in 10 s" >&2
    sleep 10
  done
) &
exec node bin/kv-warden.js serve --config "$CONFIG"
