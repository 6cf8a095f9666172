// `npm run build:native`: `napi build` of the release addon into bindings/native/ (the .node file,
// index.js and index.d.ts). Cargo is napi-cargo.mjs, which keeps a second build of an unchanged tree
// from recompiling the crate, except where a script cannot be spawned as a program (Windows: there a
// second build recompiles the crate once) or where CARGO is already set. Extra arguments go to napi.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
const cliPackage = createRequire(resolve(root, 'package.json')).resolve('@napi-rs/cli/package.json')
const napi = resolve(dirname(cliPackage), 'dist/cli.js')

const env = { ...process.env }
if (process.platform !== 'win32' && !env.CARGO) env.CARGO = resolve(here, 'napi-cargo.mjs')
const args = [
  'build',
  '--platform',
  '--release',
  '--features',
  'node',
  '--output-dir',
  'bindings/native',
  '--js',
  'index.js',
  '--dts',
  'index.d.ts',
  ...process.argv.slice(2),
]
const run = spawnSync(process.execPath, [napi, ...args], { cwd: root, env, stdio: 'inherit' })
if (run.error) throw run.error
process.exit(run.status ?? 1)
