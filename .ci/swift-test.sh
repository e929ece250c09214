#!/usr/bin/env bash
# Runs the README's test command, `swift test` (any arguments are passed on), and keeps its output. If it fails, it
# ends with a digest of why, so that the end of a CI log, which is what is kept of it, says so: the tests that
# failed, and, when the test process died of a signal, where it crashed and which tests had started last.
#
# The crash report is the crashed thread only (Swift's backtracer prints every thread and every loaded image by
# default, which pushed the crashed thread out of the part of the log that was kept).
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,interactive=no,threads=crashed,registers=crashed,images=none,limit=128,top=48}"

swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && exit 0

echo
echo "== swift test failed (exit $status): digest"
grep -E '^✘ |^Test Case .* failed|error: ' "$log" | grep -v 'Test run with' | head -40
if grep -q 'crashed' "$log"; then
  echo "-- the test process crashed:"
  grep -m1 -E '^\*\*\* (Program crashed|Signal)' "$log"
  grep -m1 -E '^\*\*\* Program crashed' "$log"
  # From the crashed thread's header to the registers (or at most 80 lines).
  awk '/^Thread [0-9]+ .*crashed:$/ { on = 1 } on && /^Registers:/ { exit } on { print; if (++n >= 80) exit }' "$log"
  echo "-- the last tests that had started:"
  grep -E 'started\.$' "$log" | tail -12
fi
exit "$status"
