// 2. Cold start and memory: `require` the package + construct a client, in a fresh process per run,
// against `require('stripe')` + `new Stripe(key)`. Runs are interleaved (ours, stripe, empty) and
// the medians reported. The parent also times each whole process (spawn to exit), with an empty
// child as the Node startup baseline.
//
// Run alone: node --import tsx benchmark/cold-start.ts [--runs 21] [--json out.json]

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

import { OURS_SPECIFIER, ROOT, median } from './lib.mts'

const CHILD = resolve(ROOT, 'benchmark/cold-start-child.cjs')
type Subject = 'ours' | 'stripe' | 'none'

export interface ColdStartSide {
  runs: number
  requireMs: number
  totalMs: number
  rssAddedMiB: number
  /** Of which `require` alone. */
  rssAddedByRequireMiB: number
  /** RSS added, split: private anonymous memory (heap, stacks) and file-backed pages (code). */
  anonAddedMiB: number
  fileAddedMiB: number
  processWallMs: number
}

interface Sample {
  totalMs: number
  requireMs: number
  rssAdded: number
  rssAddedByRequire: number
  anonAdded: number
  fileAdded: number
  wallMs: number
}

function once(which: Subject): Sample {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [CHILD, which, OURS_SPECIFIER, ROOT], {
    encoding: 'utf8',
    cwd: ROOT,
  })
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`cold start of ${which} failed (${r.status}): ${r.stderr}`)
  const out = JSON.parse(r.stdout)
  if (which !== 'none' && !out.constructed) throw new Error(`${which}: no client constructed`)
  return {
    totalMs: out.totalMs,
    requireMs: out.requireMs,
    rssAdded: out.rssAdded,
    rssAddedByRequire: out.rssAddedByRequire,
    anonAdded: out.anonAdded,
    fileAdded: out.fileAdded,
    wallMs,
  }
}

export function runColdStart(runs = 21): Record<Subject, ColdStartSide> {
  const subjects: Subject[] = ['ours', 'stripe', 'none']
  for (const s of subjects) once(s) // warm the file-system cache, not counted
  const samples: Record<Subject, Sample[]> = { ours: [], stripe: [], none: [] }
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? subjects : [...subjects].reverse()
    for (const s of order) samples[s].push(once(s))
  }
  const summary = {} as Record<Subject, ColdStartSide>
  for (const s of subjects) {
    const xs = samples[s]
    summary[s] = {
      runs: xs.length,
      requireMs: median(xs.map((x) => x.requireMs)),
      totalMs: median(xs.map((x) => x.totalMs)),
      rssAddedMiB: median(xs.map((x) => x.rssAdded)) / 2 ** 20,
      rssAddedByRequireMiB: median(xs.map((x) => x.rssAddedByRequire)) / 2 ** 20,
      anonAddedMiB: median(xs.map((x) => x.anonAdded)) / 2 ** 20,
      fileAddedMiB: median(xs.map((x) => x.fileAdded)) / 2 ** 20,
      processWallMs: median(xs.map((x) => x.wallMs)),
    }
  }
  return summary
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs')
  const result = runColdStart(i > 0 ? Number(process.argv[i + 1]) : 21)
  console.table(result)
  const out = process.argv.indexOf('--json')
  if (out > 0) writeFileSync(process.argv[out + 1], JSON.stringify(result, null, 2))
}
