#!/usr/bin/env bash
# The Next.js example as a user gets it, with the real tools: examples/next-app installs its pinned
# Next.js, React, vitest and playwright-core (`npm ci` in that folder), gets this package the way npm
# installs it (`npm pack`, unpacked into its node_modules), runs the test kit's vitest example, builds
# with `next build` (cacheComponents on, no Stripe variables), then serves it with `next start` and
# walks it over HTTP and once in Debian's Chromium (e2e/walk.mjs).
#
#   .ci/next-app.sh            after `npm run build`; DATABASE_URL optional (a MariaDB db is made)
#   .ci/next-app.sh chromium   only install Debian's chromium if it is missing (as root)
#
# Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "next-app.sh: $*" >&2; }

ensure_chromium() {
  command -v chromium >/dev/null && return 0
  log "installing Debian's chromium with apt (no browser download by playwright)"
  local aptlog
  aptlog="$(mktemp -t chromium-apt.XXXXXX)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    log "apt-get install chromium failed (full log: $aptlog)"
    return 1
  fi
  rm -f "$aptlog"
}

if [ "${1:-}" = chromium ]; then
  ensure_chromium
  exit 0
fi

app=examples/next-app
step() { log "$1: $(( SECONDS - started )) s"; started=$SECONDS; }
started=$SECONDS

ensure_chromium
step "chromium ready"

(cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
pack="$(mktemp -d)"
npm pack --pack-destination "$pack" >/dev/null 2>&1
rm -rf "$app/node_modules/@support/stripe-connect"
mkdir -p "$app/node_modules/@support/stripe-connect"
tar -xzf "$pack"/*.tgz -C "$app/node_modules/@support/stripe-connect" --strip-components=1
rm -rf "$pack"
step "npm ci + the packed package"

(cd "$app" && npx vitest run)
step "vitest (the test kit's example)"

# The example's lib/auth.ts is a seam that fails closed until the app puts its BetterAuth there;
# the CI build gets the walk's stand-in (a cookie signs a support admin in), and the seam back after.
auth_backup=""
if [ -f "$app/lib/auth.ts" ]; then
  auth_backup="$(mktemp)"
  cp "$app/lib/auth.ts" "$auth_backup"
  trap 'cp "$auth_backup" "$app/lib/auth.ts"; rm -f "$auth_backup"' EXIT
  cp "$app/e2e/auth.ts" "$app/lib/auth.ts"
fi
export NEXT_TELEMETRY_DISABLED=1
(cd "$app" && rm -rf .next &&
  env -u STRIPE_SECRET_KEY -u STRIPE_CONNECT_CLIENT_ID -u STRIPE_WEBHOOK_SECRET -u APP_URL \
    -u STRIPE_API_BASE -u STRIPE_CONNECT_BASE npx next build)
step "next build (no Stripe variables)"
if [ -n "$auth_backup" ]; then
  cp "$auth_backup" "$app/lib/auth.ts"
  rm -f "$auth_backup"
  trap - EXIT
fi

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL="$(MARIADB_TEST_DB=support_app_example .ci/mariadb.sh start)"
fi
(cd "$app" && DATABASE_URL="$DATABASE_URL" CHROMIUM="$(command -v chromium)" node --test e2e/walk.mjs)
step "next start + the walk (HTTP and Chromium)"
