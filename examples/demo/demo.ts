// `npm run demo`: Stripe Connect for the support app, end to end, in one process.
//
// Without Stripe credentials (the default): the package's test kit plays Stripe on 127.0.0.1,
// PGlite (embedded Postgres) through Drizzle holds the apps and claims tables, and the package's
// real route handlers are served by node:http. The story is walked and checked; exit code 0 when
// every check passed, 1 otherwise.
//
// With STRIPE_SECRET_KEY, STRIPE_CONNECT_CLIENT_ID and STRIPE_WEBHOOK_SECRET all set: the same
// routes against real Stripe on http://localhost:3000 (PORT overrides) until Ctrl-C.

import { runLive } from './live.js'
import { runStory } from './story.js'
import { bold, describe, green, red, Transcript } from './transcript.js'

const LIVE_VARIABLES = [
  'STRIPE_SECRET_KEY',
  'STRIPE_CONNECT_CLIENT_ID',
  'STRIPE_WEBHOOK_SECRET',
] as const

async function main(): Promise<number> {
  const set = LIVE_VARIABLES.filter((name) => (process.env[name] ?? '') !== '')
  if (set.length === LIVE_VARIABLES.length) return runLive()
  if (set.length > 0) {
    const missing = LIVE_VARIABLES.filter(
      (name) => !set.includes(name as (typeof LIVE_VARIABLES)[number]),
    )
    console.log(
      `${set.join(', ')} set but ${missing.join(', ')} not: running against the local fake Stripe (set all three for real Stripe).`,
    )
  }

  const t = new Transcript()
  // The whole story takes well under a second or two; never hang in CI.
  const watchdog = setTimeout(() => {
    console.log(`\n${red('✗ the demo did not finish within 60 s')}`)
    process.exit(1)
  }, 60_000)
  watchdog.unref()
  try {
    await runStory(t)
  } catch (error) {
    t.fail('the demo stopped with an error', error)
    if (error instanceof Error && error.stack) console.log(error.stack)
  } finally {
    clearTimeout(watchdog)
  }

  const total = t.passed + t.failed.length
  console.log('')
  if (t.failed.length === 0) {
    console.log(bold(green(`✓ all ${total} checks passed`)))
    return 0
  }
  console.log(bold(red(`✗ ${t.failed.length} of ${total} checks failed:`)))
  for (const what of t.failed) console.log(red(`  ✗ ${what}`))
  return 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.log(red(`✗ the demo failed: ${describe(error)}`))
    process.exitCode = 1
  },
)
