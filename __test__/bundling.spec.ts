// A bundler that resolves server code with the `react-server` condition (Next.js route handlers and
// server components) gets a module that fails with the fix named, instead of trying to bundle the
// native addon; Node's own resolution (what serverExternalPackages leaves it to) gets the package.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'

const node = process.release?.name === 'node' ? process.execPath : 'node'
const root = join(__dirname, '..')

function load(conditions: string[], how: 'require' | 'import') {
  const code =
    how === 'require'
      ? "require('@support/stripe-connect'); console.log('loaded')"
      : "import('@support/stripe-connect').then(() => console.log('loaded'))"
  return spawnSync(
    node,
    [
      ...conditions.map((c) => `--conditions=${c}`),
      how === 'import' ? '--input-type=module' : '',
      '-e',
      code,
    ].filter(Boolean),
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  )
}

test('resolved with react-server, the package fails naming serverExternalPackages', () => {
  for (const how of ['require', 'import'] as const) {
    const r = load(['react-server'], how)
    assert.notEqual(r.status, 0, `${how}: ${r.stdout}`)
    assert.match(r.stderr, /serverExternalPackages: \['@support\/stripe-connect'\]/, how)
    assert.doesNotMatch(r.stdout, /loaded/)
  }
})

test("Node's own resolution loads the addon", () => {
  for (const how of ['require', 'import'] as const) {
    const r = load([], how)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /loaded/)
  }
})
