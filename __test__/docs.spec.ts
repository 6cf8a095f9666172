// What the guides show is what CI builds: every ```ts / ```tsx block in docs/ and the README whose
// first line names a file of examples/next-app (`// app/api/…/route.ts`) is that file, byte for byte.
// (examples/next-app is built, served and walked by .ci/next-app.sh; the Rust guide's blocks are
// doctests.)
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

const root = join(__dirname, '..')
const example = join(root, 'examples', 'next-app')
const FILE_LINE = /^\/\/ ((?:app|lib|db|tests)\/[\w./[\]-]+\.tsx?|next\.config\.ts)\n/

function blocks(doc: string): { file: string; body: string }[] {
  const text = readFileSync(join(root, doc), 'utf8')
  const out: { file: string; body: string }[] = []
  for (const m of text.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm)) {
    const head = FILE_LINE.exec(m[1]!)
    if (head) out.push({ file: head[1]!, body: m[1]!.slice(head[0].length) })
  }
  return out
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
)

describe('docs show the example files as they are', () => {
  for (const doc of docs) {
    const found = blocks(doc)
    if (found.length === 0) continue
    test(doc, () => {
      for (const { file, body } of found) {
        const path = join(example, file)
        assert.ok(existsSync(path), `${doc} shows ${file}, which examples/next-app does not have`)
        assert.equal(body, readFileSync(path, 'utf8'), `${doc}: the block of ${file} differs`)
      }
    })
  }

  test('the Next.js guide shows every file a new app pastes', () => {
    const shown = blocks('docs/nextjs.md').map((b) => b.file)
    for (const file of [
      'next.config.ts',
      'lib/stripe-connect.ts',
      'app/api/stripe/connect/authorize/route.ts',
      'app/api/stripe/connect/callback/route.ts',
      'app/api/stripe/webhooks/route.ts',
    ])
      assert.ok(shown.includes(file), `docs/nextjs.md does not show ${file}`)
    assert.ok(blocks('docs/errors.md').some((b) => b.file === 'lib/callback-by-hand.ts'))
  })

  test('no snippet sets the runtime segment config that cacheComponents forbids', () => {
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8')
      for (const m of text.matchAll(/^```tsx?\n([\s\S]*?)^```$/gm))
        assert.ok(!/export const runtime\s*=/.test(m[1]!), `${doc} sets export const runtime`)
    }
  })
})
