// Printing the story: step headers, what was sent and received, ✓ / ✗ per check.

const color =
  process.stdout.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'
const paint = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const red = paint('31')
export const cyan = paint('36')
export const yellow = paint('33')

export class Transcript {
  passed = 0
  failed: string[] = []
  private step = 0

  header(title: string): void {
    this.step += 1
    console.log(
      `\n${bold(`── ${this.step}. ${title} `)}${bold('─'.repeat(Math.max(3, 72 - title.length)))}`,
    )
  }

  title(text: string): void {
    console.log(bold(text))
  }

  /** A request sent. */
  send(text: string): void {
    console.log(`  ${cyan('→')} ${text}`)
  }

  /** A response received. */
  recv(text: string): void {
    console.log(`  ${cyan('←')} ${text}`)
  }

  info(text: string): void {
    console.log(`    ${text}`)
  }

  note(text: string): void {
    console.log(`  ${dim(text)}`)
  }

  private group: string[] | null = null

  /** Runs `body` with its checks folded into one ✓ line (each failing check still gets its ✗ line). */
  async folded<T>(what: string, body: () => Promise<T>): Promise<T> {
    const failures: string[] = []
    this.group = failures
    try {
      return await body()
    } finally {
      this.group = null
      if (failures.length === 0) this.check(true, what)
    }
  }

  /** A check: ✓ when `ok`, else ✗ with what was seen instead. Returns `ok`. */
  check(ok: boolean, what: string, seen?: unknown): boolean {
    if (ok && this.group !== null) return true
    if (!ok && this.group !== null) this.group.push(what)
    if (ok) {
      this.passed += 1
      console.log(`  ${green('✓')} ${what}`)
    } else {
      this.failed.push(what)
      const detail =
        seen === undefined
          ? ''
          : ` ${red(`(got ${typeof seen === 'string' ? seen : JSON.stringify(seen)})`)}`
      console.log(`  ${red('✗')} ${what}${detail}`)
    }
    return ok
  }

  /** A check that `actual` deep-equals `expected`. */
  equal(actual: unknown, expected: unknown, what: string): boolean {
    return this.check(JSON.stringify(actual) === JSON.stringify(expected), what, actual)
  }

  fail(what: string, error?: unknown): void {
    this.failed.push(what)
    console.log(`  ${red('✗')} ${what}${error === undefined ? '' : `: ${red(describe(error))}`}`)
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return `${typeof code === 'string' ? `[${code}] ` : ''}${error.message}`
  }
  return String(error)
}

/** `2500, 'usd'` → `$25.00`: minor units in the currency's own number of decimals. */
export function money(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
    })
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2
    return format.format(amount / 10 ** digits)
  } catch {
    return `${amount} ${currency}`
  }
}

/** Unix seconds → `2026-11-27`. */
export function day(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined
    ? '—'
    : new Date(seconds * 1000).toISOString().slice(0, 10)
}

/** A long opaque token shortened for display: `abcdefgh…(120 chars)`. */
export function short(token: string, keep = 12): string {
  return token.length <= keep + 3 ? token : `${token.slice(0, keep)}…(${token.length} chars)`
}

/** A URL with long query values (state, code) shortened, for display. */
export function showUrl(url: string, origin?: string): string {
  if (url === '') return '(none)'
  const u = new URL(url)
  const query = [...u.searchParams]
    .map(([k, v]) => `${k}=${v.length > 24 && k !== 'redirect_uri' ? short(v, 10) : v}`)
    .join('&')
  const text = `${u.origin}${u.pathname}${query ? `?${query}` : ''}`
  return origin !== undefined && text.startsWith(origin) ? text.slice(origin.length) : text
}

/** Rows as an aligned table (strings only). */
export function table(rows: string[][], indent = '    '): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map(
      (r, n) =>
        indent +
        r
          .map((c, i) => (n === 0 ? dim : (s: string) => s)(c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n')
}
