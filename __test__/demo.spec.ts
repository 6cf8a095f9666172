// The README's first command, `npm run demo`, in CI: the demo (examples/demo) runs against the test
// kit and PGlite, exits 0 when every step behaved, and ends by itself. Needs `npm run build` first
// (the demo imports the package by its name, i.e. bindings/dist). Under Bun it runs under Bun.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'

const root = join(__dirname, '..')
const isBun = typeof (process.versions as Record<string, string | undefined>).bun === 'string'

function runDemo(): Promise<{
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}> {
  // Never the live mode: drop the Stripe credentials CI might have.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  for (const name of Object.keys(env)) if (name.startsWith('STRIPE_')) delete env[name]
  const args = isBun ? ['examples/demo/demo.ts'] : ['--import', 'tsx', 'examples/demo/demo.ts']
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

test('npm run demo: every step behaves, exit code 0, and the process ends by itself', {
  timeout: 120_000,
}, async () => {
  const { code, signal, stdout, stderr } = await runDemo()
  const context = `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`
  assert.equal(signal, null, `the demo did not end by itself within 90 s${context}`)
  assert.equal(code, 0, `exit code${context}`)
  assert.doesNotMatch(stdout, /✗/, context)
  assert.match(stdout, /✓ all \d+ checks passed/, context)

  // 1. connect: authorize → Stripe → callback → the apps row
  assert.match(
    stdout,
    /← 307 {2}Location: http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?response_type=code&client_id=ca_/,
    context,
  )
  assert.match(
    stdout,
    /Set-Cookie: stripe_connect_state=[^;]+; Path=\/api\/stripe\/connect\/callback; Max-Age=600; HttpOnly; SameSite=Lax/,
    context,
  )
  assert.match(
    stdout,
    /← 303 {2}Location: \/settings\/integrations\?success=connected&app=helpdesk/,
    context,
  )
  assert.match(
    stdout,
    /SUPPORT_apps \{ slug: 'helpdesk', stripe_account_id: 'acct_\w+', stripe_connected: true \}/,
    context,
  )
  assert.match(
    stdout,
    /SUPPORT_apps \{ slug: 'billing-bot', stripe_account_id: 'acct_\w+', stripe_connected: true \}/,
    context,
  )
  // 2. the customer across apps
  assert.match(stdout, /customers: cus_\w+ <Jane@Example\.COM>/, context)
  assert.match(
    stdout,
    /subscription: Helpdesk Pro — active, current period ends \d{4}-\d{2}-\d{2}/,
    context,
  )
  assert.match(stdout, /open dispute: dp_\w+ €120\.00 on ch_\w+, product_not_received/, context)
  // 3. the dispute webhook: one alert, the duplicate none
  assert.equal(
    stdout.match(/🔔 dispute sink: helpdesk: dispute dp_\w+ for \$49\.00 \(fraudulent\)/g)?.length,
    1,
    context,
  )
  assert.match(stdout, /🔔 dispute sink: helpdesk: .*, customer jane@example\.com$/m, context)
  assert.match(stdout, /no second alert/, context)
  // 4. deauthorized: the row cleared
  assert.match(
    stdout,
    /SUPPORT_apps \{ slug: 'helpdesk', stripe_account_id: NULL, stripe_connected: false \}/,
    context,
  )
  // 5. the replayed callback
  assert.match(stdout, /← 303 {2}Location: \/settings\/integrations\?error=invalid_state/, context)
  assert.match(stdout, /✓ no second token exchange at Stripe/, context)
  // 6. read-only
  assert.match(stdout, /✓ fake\.assertNoViolations\(\)/, context)
  // 7. the support agent: the mock model calls a tool; the compact result and its size vs raw
  assert.match(stdout, /model → get_customer_context\(\{"email":"jane@example\.com"\}\)/, context)
  const sizes = stdout.match(
    /tool result: ([\d,]+) bytes {3}\(the raw Stripe objects it read: ([\d,]+) bytes in \d+ GETs/,
  )
  assert.ok(sizes, context)
  const [compact, raw] = [sizes[1]!, sizes[2]!].map((n) => Number(n.replace(/,/g, '')))
  assert.ok(compact! < 4096 && raw! > compact!, `${compact} vs ${raw}`)
  assert.match(
    stdout,
    /model → "Your €120\.00 payment on .* failed, so Billing bot Team is past_due\."/,
    context,
  )
  // No test secret leaks into the transcript.
  assert.doesNotMatch(stdout, /sk_test_|whsec_demo|demo-state-signing-secret/, context)
})
