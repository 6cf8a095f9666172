#!/usr/bin/env bash
# The Next.js example as a user gets it, with the real tools: examples/next-app installs its pinned
# Next.js, React, vitest and playwright-core (`npm ci` in that folder), gets this package the way npm
# installs it (`npm pack`, unpacked into its node_modules), runs the test kit's vitest example, builds
# with `next build` (cacheComponents off, then on; no Stripe variables), then serves the second build
# with `next start` and walks it over HTTP and in Debian's Chromium (e2e/walk.mjs): Connect OAuth,
# then a second `next start` with STRIPE_APP_ID set (Stripe App installs).
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
# next.config.ts is swapped too for the first build: the routes must build with cacheComponents
# (and partialPrefetching) off as well as on.
backups="$(mktemp -d)"
cp "$app/lib/auth.ts" "$app/next.config.ts" "$backups/"
trap 'cp "$backups/auth.ts" "$app/lib/auth.ts"; cp "$backups/next.config.ts" "$app/next.config.ts"; rm -rf "$backups"' EXIT
cp "$app/e2e/auth.ts" "$app/lib/auth.ts"
export NEXT_TELEMETRY_DISABLED=1
build() {
  (cd "$app" && rm -rf .next &&
    env -u STRIPE_SECRET_KEY -u STRIPE_CONNECT_CLIENT_ID -u STRIPE_WEBHOOK_SECRET -u APP_URL \
      -u STRIPE_API_BASE -u STRIPE_CONNECT_BASE -u STRIPE_APP_ID -u STRIPE_APP_SECRET -u STRIPE_INSTALL_BASE \
      npx next build)
}
sed -e 's/cacheComponents: true/cacheComponents: false/' -e 's/partialPrefetching: true/partialPrefetching: false/' \
  "$backups/next.config.ts" >"$app/next.config.ts"
grep -q 'cacheComponents: false' "$app/next.config.ts" || { log "next.config.ts no longer sets cacheComponents: true"; exit 1; }
build
step "next build, cacheComponents off (no Stripe variables)"
cp "$backups/next.config.ts" "$app/next.config.ts"
build
step "next build, cacheComponents on (no Stripe variables)"
cp "$backups/auth.ts" "$app/lib/auth.ts"

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL="$(MARIADB_TEST_DB=support_app_example .ci/mariadb.sh start)"
fi
(cd "$app" && DATABASE_URL="$DATABASE_URL" CHROMIUM="$(command -v chromium)" node --test e2e/walk.mjs)
step "next start + the walk (HTTP and Chromium)"
