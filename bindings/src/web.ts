/**
 * What the Web-standard route handlers (`./next.ts`, `./mcp-http.ts`) share: a JSON answer that is
 * never cached, and reading a request body up to a bound. @internal
 */

/** `body` as JSON with `status`, never cached. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  })
}

/** The body as bytes, or `null` once it grows past `max` (the rest is not read). */
export async function readCapped(request: Request, max: number): Promise<Buffer | null> {
  if (request.body === null) return Buffer.alloc(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}

/** Drop a body we will not read, so the connection is not left with unread data. */
export async function discard(request: Request): Promise<void> {
  if (request.body !== null && !request.bodyUsed) await request.body.cancel().catch(() => {})
}

/**
 * An http(s) origin (`https://support.example.com`) from an option, or a `TypeError` that starts
 * with `what` (the function and option, e.g. `createRouteHandlers: origin`).
 */
export function parseOrigin(value: unknown, what: string): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new TypeError(
      `${what} ${JSON.stringify(value)} is not a URL such as "https://support.example.com"`,
    )
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin === 'null') {
    throw new TypeError(
      `${what} ${JSON.stringify(value)} must be an http(s) origin such as "https://support.example.com"`,
    )
  }
  return url.origin
}
