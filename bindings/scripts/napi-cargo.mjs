#!/usr/bin/env node
// The `cargo` that `npm run build:native` (build-native.mjs) gives `napi build` through the CARGO
// variable, so that a second build of an unchanged tree compiles nothing.
//
// Why: when napi's type-definition folder lacks this crate's file (every cold build), napi sets
// NAPI_FORCE_BUILD_STRIPE_CONNECT to the current time, and napi-build makes Cargo rerun the build
// script whenever that variable changes. On the next build the file exists, napi leaves the
// variable unset, Cargo sees a change and recompiles the crate (~17 s) for nothing. This shim keeps
// napi's last value in target/napi-rs/force-build and passes it again while napi sets none; a new
// value from napi (the type definitions really are missing) still forces the build.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const VAR = 'NAPI_FORCE_BUILD_STRIPE_CONNECT'
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const stamp = resolve(
  process.env.CARGO_TARGET_DIR ?? resolve(root, 'target'),
  'napi-rs/force-build',
)

const env = { ...process.env }
if (env[VAR]) {
  mkdirSync(resolve(stamp, '..'), { recursive: true })
  writeFileSync(stamp, env[VAR])
} else {
  try {
    env[VAR] = readFileSync(stamp, 'utf8')
  } catch {
    // No build through this shim yet: nothing to repeat.
  }
}
const run = spawnSync('cargo', process.argv.slice(2), { env, stdio: 'inherit' })
if (run.error) throw run.error
process.exit(run.status ?? 1)
