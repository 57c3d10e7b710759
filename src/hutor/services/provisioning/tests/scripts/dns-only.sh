#!/bin/sh
# Creates and removes, and says it does nothing else.
request=$(cat)
case "$request" in
  *'"operation": "create"'*) echo '{"ok": true, "remote_id": "zone-1"}' ;;
  *'"operation": "terminate"'*) echo '{"ok": true}' ;;
  *) echo '{"ok": false, "unsupported": true}' ;;
esac
