#!/usr/bin/env bash
# Runs the README's test command, `swift test` (any arguments are passed on), and keeps its output. If it fails, it
# ends with a digest of why, so that the end of a CI log, which is what is kept of it, says so: the tests that
# failed, and, when the test process died of a signal, where it crashed and which tests had started last.
# A crash in Foundation's Process.run() alone (a known bug of Swift 6.3.1's Foundation, below) runs the suite once more.
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

# Swift 6.3.1's Foundation can crash the process that calls Process.run() on Linux: it reads 256 bytes from each
# entry of /proc/self/fd whatever the entry's size, past the end of glibc's buffer when an entry sits at its end
# (swift-corelibs-foundation PR #5472, fixed after 6.3.1). The suite runs many tests at once with many files open
# while some tests start the command line, so it has crashed there once in many runs. Only that crash, with that
# frame on top, gets the suite run once more; any other failure, and a second crash, fail as before.
crashed_in_process_run() {
  awk '/^Thread [0-9]+ .*crashed:$/ { on = 1; next } on && NF { frames++; if ($0 ~ /Process\.run\(\) .* in libFoundation\.so/) found = 1; if (frames >= 3) exit } END { exit !found }' "$1"
}
if crashed_in_process_run "$log"; then
  echo
  echo "== the test process crashed in Foundation's Process.run() (the over-read of /proc/self/fd fixed upstream in"
  echo "== swift-corelibs-foundation PR #5472, not in Swift 6.3.1): running the tests once more"
  swift test "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] && exit 0
fi

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
