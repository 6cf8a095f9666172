// Shared by the benchmarks: statistics, formatting, the machine description and the two subjects
// (this package and the official `stripe` package), loaded the way a user's code would load them.

import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** `require` as if from the repository root: `@support/stripe-connect` resolves to this package itself. */
export const rootRequire = createRequire(resolve(ROOT, 'package.json'))

/** What `require()` loads as "this package": the package itself unless `BENCH_OURS` names another path. */
export const OURS_SPECIFIER = process.env.BENCH_OURS ?? '@support/stripe-connect'

export function loadOurs(): any {
  return rootRequire(OURS_SPECIFIER)
}

export function loadStripe(): any {
  return rootRequire('stripe')
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Nearest-rank percentile, p in 0–100. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * s.length)
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** `ours / theirs` as "1.23×" (how many times better, for a higher-is-better quantity). */
export function ratio(better: number, worse: number): string {
  return `${(better / worse).toFixed(2)}×`
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'unknown'
  }
}

export interface Machine {
  cpu: string
  nproc: number
  ramGiB: number
  node: string
  rustc: string
  os: string
  load: string
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    nproc: Number(sh('nproc', [])) || cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    rustc: sh('rustc', ['-V']),
    os: sh('uname', ['-sr']),
    load: sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' '),
  }
}

/** A markdown table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join(
    '\n',
  )
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
