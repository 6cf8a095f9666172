// Reading docs/nextjs.md's blocks, for the specs that hold the guide to what it shows.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(__dirname, '..')

/** The blocks whose first line is `// <file> (<Dialect>)`: a dialect's version of an example file. */
export function dialectBlocks(doc: string): { file: string; dialect: string; body: string }[] {
  const text = readFileSync(join(root, doc), 'utf8')
  const out: { file: string; dialect: string; body: string }[] = []
  for (const m of text.matchAll(
    /^```tsx?\n\/\/ ([\w./[\]-]+\.tsx?) \((MySQL|Postgres|SQLite)\)\n([\s\S]*?)^```$/gm,
  ))
    out.push({ file: m[1]!, dialect: m[2]!, body: m[3]! })
  return out
}

/** The ```sql block of docs/nextjs.md whose first line is `-- <label>: the tables of db/schema.ts`. */
export function guideSql(text: string, label: string): string {
  const head = `\`\`\`sql\n-- ${label}: the tables of db/schema.ts\n`
  const i = text.indexOf(head)
  assert.ok(i >= 0, `no SQL block for ${label}`)
  return text.slice(i + head.length, text.indexOf('```', i + head.length))
}
