#!/usr/bin/env bash
# The headless browser the console's browser test drives (test/integration/console.test.ts): Debian's chromium,
# installed from the distribution's packages (playwright-core downloads no browser of its own here). Prints the
# binary's path. Does nothing when one exists: CHROMIUM_PATH if set, else chromium on PATH.
set -euo pipefail
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -x "$CHROMIUM_PATH" ]] || { echo "CHROMIUM_PATH: $CHROMIUM_PATH is not an executable file" >&2; exit 1; }
  echo "$CHROMIUM_PATH"
  exit 0
fi
for name in chromium chromium-browser; do
  if found="$(command -v "$name")"; then echo "$found"; exit 0; fi
done
# apt-get needs root: sudo when not root (a developer's machine), as it is (CI, this workplace) when root.
as_root=()
[[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
echo "installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >&2
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
