// A bundler that resolves server code with the `react-server` condition (Next.js route handlers and
// server components) gets a module that fails with the fix named, instead of trying to bundle the
// native addon; Node's own resolution (what serverExternalPackages leaves it to) gets the package.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'

const node = process.release?.name === 'node' ? process.execPath : 'node'
const root = join(__dirname, '..')

function load(conditions: string[], how: 'require' | 'import', entry = '@support/stripe-connect') {
  const code =
    how === 'require'
      ? `require('${entry}'); console.log('loaded')`
      : `import('${entry}').then(() => console.log('loaded'))`
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

/** Whether a built module loads the native addon, through its relative requires. */
function loadsAddon(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false
  seen.add(file)
  for (const m of readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
    const target = join(dirname(file), m[1]!)
    if (/native[\\/]index\.js$/.test(target)) return true
    const js = target.endsWith('.js') ? target : `${target}.js`
    if (existsSync(js) && loadsAddon(js, seen)) return true
  }
  return false
}

test('every entry that loads the addon has the react-server condition, and fails naming the setting', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, Record<string, string> | string>
  }
  const entries: string[] = []
  for (const [subpath, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'string') continue
    const loads = loadsAddon(join(root, entry.require!))
    assert.equal(
      entry['react-server'],
      loads ? './bindings/dist/bundled.js' : undefined,
      `${subpath} ${loads ? 'loads' : 'does not load'} the addon`,
    )
    if (loads) entries.push(subpath)
  }
  assert.deepEqual(entries, ['.', './testing', './next', './drizzle', './tools', './ai', './mcp'])
  // What a bundler's server build gets for each (Next.js without serverExternalPackages).
  for (const subpath of entries.slice(1)) {
    const r = load(['react-server'], 'require', `@support/stripe-connect/${subpath.slice(2)}`)
    assert.notEqual(r.status, 0, `${subpath}: ${r.stdout}`)
    assert.match(r.stderr, /serverExternalPackages: \['@support\/stripe-connect'\]/, subpath)
  }
})
