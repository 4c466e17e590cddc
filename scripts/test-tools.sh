#!/usr/bin/env bash
# The pretest step of `npm test`: the video tests need ffmpeg and ffprobe, the web-page tests
# chromium ($VIVID_CHROMIUM, default /usr/bin/chromium). When one is missing: as root, install
# it through scripts/setup.sh; otherwise print the exact commands and fail, so that `npm test`
# never passes with those tests skipped. Bash builtins only until something is missing, so the
# usual case costs nothing.
set -euo pipefail

missing_tools() {
  missing=()
  { command -v ffmpeg && command -v ffprobe; } >/dev/null || missing+=(ffmpeg)
  [ -x "${VIVID_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
}

missing_tools
[ ${#missing[@]} -eq 0 ] && exit 0

root="${BASH_SOURCE[0]%/*}/.."
if [ "$EUID" = 0 ]; then
  echo "[test] ${missing[*]} missing (video and web-page tests): installing through scripts/setup.sh"
  VIVID_SETUP_EXTRAS="${missing[*]}" bash "$root/scripts/setup.sh"
  missing_tools
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "[test] still missing after setup: ${missing[*]} (VIVID_CHROMIUM=${VIVID_CHROMIUM:-unset})" >&2
  exit 1
fi
printf '%s\n' >&2 \
  "[test] npm test runs the whole suite, and the video and web-page tests need: ${missing[*]}." \
  "As root, run:" \
  "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" \
  "(or, as root: VIVID_SETUP_EXTRAS=\"${missing[*]}\" npm run setup), then npm test again." \
  "VIVID_CHROMIUM=/path/to/chromium points the web tests at another chromium; npx vitest run" \
  "runs the suite without these tools (their tests are then skipped)."
exit 1
