/**
 * The stdio side of `stripe-connect-mcp`, so that the server never goes deaf or silent: every
 * line the client sends is either handed to the MCP SDK's transport or refused with an answer and
 * a log line on stderr.
 *
 * - A line longer than `maxLineBytes` is refused (a JSON-RPC `-32600` error, `id: null`) and
 *   skipped; the server keeps reading. Without this, the SDK's read buffer overflows, its transport
 *   closes, and the process stays alive but answers nothing.
 * - `"params": null` is read as no `params` (JSON-RPC 2.0 allows leaving them out, and some
 *   clients write `null`): the SDK's schema would otherwise drop the message without an answer.
 * - A line that is not JSON is answered with `-32700` (`id: null`).
 * - Transport and handler errors are logged to stderr through the core's quoting.
 * @internal
 */
import { PassThrough, type Readable, type Writable } from 'node:stream'
import { quoteForLog } from '../native/index.js'

/** Longest line read (bytes); the SDK's own buffer is 10 MiB, so it is never reached. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024

export interface StdioLinesOptions {
  /** Where refusals are answered (the protocol's stdout). */
  output: Writable
  /** Where refusals are logged (stderr). */
  log: (line: string) => void
  maxLineBytes?: number
}

/** A JSON-RPC error for a message whose id could not be read. */
function refusal(code: number, message: string): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } })}\n`
}

/**
 * `input`'s lines as the SDK's transport should read them (see the module): a stream to pass as
 * `new StdioServerTransport(stdioLines(process.stdin, …), process.stdout)`.
 */
export function stdioLines(input: Readable, options: StdioLinesOptions): Readable {
  const max = options.maxLineBytes ?? MAX_LINE_BYTES
  const out = new PassThrough()
  let parts: Buffer[] = []
  let size = 0
  let skipping = false

  const refuse = (bytes: number) => {
    options.log(`a message of ${bytes} bytes or more was refused: the most is ${max} bytes a line`)
    options.output.write(refusal(-32600, `message over ${max} bytes refused`))
  }

  const line = (bytes: Buffer) => {
    const text = bytes.toString('utf8').replace(/\r$/, '')
    if (text.trim() === '') return
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      options.log(`a line that is not JSON was refused: ${quoteForLog(text.slice(0, 200))}`)
      options.output.write(refusal(-32700, 'parse error: the line is not JSON'))
      return
    }
    if (message !== null && typeof message === 'object' && 'params' in message) {
      const m = message as Record<string, unknown>
      if (m.params === null) {
        delete m.params
        out.write(`${JSON.stringify(m)}\n`)
        return
      }
    }
    out.write(`${text}\n`)
  }

  input.on('data', (chunk: Buffer | string) => {
    let rest = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    for (;;) {
      const at = rest.indexOf(0x0a)
      const piece = at === -1 ? rest : rest.subarray(0, at)
      if (!skipping) {
        if (size + piece.length > max) {
          refuse(size + piece.length)
          skipping = true
          parts = []
          size = 0
        } else {
          parts.push(piece)
          size += piece.length
        }
      }
      if (at === -1) break
      if (!skipping) line(Buffer.concat(parts, size))
      skipping = false
      parts = []
      size = 0
      rest = rest.subarray(at + 1)
    }
  })
  input.on('end', () => {
    if (!skipping && size > 0) line(Buffer.concat(parts, size))
    out.end()
  })
  input.on('error', (error) => out.destroy(error))
  return out
}
