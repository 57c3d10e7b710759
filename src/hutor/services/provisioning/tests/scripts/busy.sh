#!/bin/sh
# Answers that the remote side is busy: a passing failure, to be retried.
cat > /dev/null
echo '{"ok": false, "error": "panel busy, try later", "retry": true}'
