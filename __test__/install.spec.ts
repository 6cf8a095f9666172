// The package as a user gets it: `npm pack`, installed into a fresh project, type-checked against
// the shipped .d.ts with the app's own strict tsconfig, and run against the local fake Stripe
// (OAuth, a query, the cross-app context, a webhook, an error code, the Next.js handlers).
// Node only: under Bun the same files are loaded by every other spec.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)

test('npm pack → npm install into a fresh project → tsc → run', {
  skip: 'bun' in process.versions ? 'Node only' : false,
  timeout: 180_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stripe-connect-install-'))
  try {
    execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
    assert.ok(tarball, 'npm pack made no tarball')
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'support-app', private: true, type: 'module' }),
    )
    execFileSync(
      'npm',
      ['install', `./${tarball}`, '--no-audit', '--no-fund', '--prefer-offline', '--silent'],
      { cwd: dir, stdio: 'inherit' },
    )
    copyFileSync(join(__dirname, 'fixtures', 'install-app', 'app.mts'), join(dir, 'app.mts'))
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['app.mts'],
      }),
    )
    execFileSync(bin('tsc'), ['-p', dir], { cwd: dir, stdio: 'inherit' })
    const out = execFileSync(
      process.execPath,
      ['--import', join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs'), 'app.mts'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
    assert.equal(out.trim(), 'helpdesk 1 1 customer.created invalid_input function 10 true')

    // Issue 23 item 4: the optional peers are not installed here. Each sub-path that needs one
    // says which, in one line, and a guarded import is caught (ESM and CommonJS).
    const guarded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        [
          "for (const sub of ['ai', 'mcp', 'drizzle']) {",
          '  try { await import(`@support/stripe-connect/${sub}`); console.log(sub, "loaded") }',
          '  catch (e) { console.log(sub, e.code, e.message) }',
          '}',
          "try { require('x') } catch {}",
        ].join('\n'),
      ],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    )
    assert.equal(
      guarded.trim(),
      [
        'ai config_invalid @support/stripe-connect/ai needs the optional peer dependency ai, which is not installed: npm i ai',
        'mcp config_invalid @support/stripe-connect/mcp needs the optional peer dependency @modelcontextprotocol/sdk, which is not installed: npm i @modelcontextprotocol/sdk',
        'drizzle config_invalid @support/stripe-connect/drizzle needs the optional peer dependency drizzle-orm, which is not installed: npm i drizzle-orm',
      ].join('\n'),
    )
    const required = execFileSync(
      process.execPath,
      ['-e', "try { require('@support/stripe-connect/ai') } catch (e) { console.log(e.code) }"],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    )
    assert.equal(required.trim(), 'config_invalid')
    const mcpBin = spawnSync(join(dir, 'node_modules', '.bin', 'stripe-connect-mcp'), [], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', STRIPE_SECRET_KEY: 'sk_test_x' },
      timeout: 60_000,
    })
    assert.equal(mcpBin.status, 1)
    assert.equal(
      mcpBin.stderr,
      'stripe-connect-mcp: [config_invalid] @support/stripe-connect/mcp needs the optional peer dependency @modelcontextprotocol/sdk, which is not installed: npm i @modelcontextprotocol/sdk\n',
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
