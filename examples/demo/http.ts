// A minimal node:http server for Web-standard `(Request) => Promise<Response>` handlers: what
// Next.js does for the app's route handlers, in ~100 lines. The request body is passed on as the
// raw bytes received (the webhook route verifies the signature over exactly those bytes).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (request: Request) => Promise<Response>

/** Method + exact path → handler. Anything else answers 404 (405 for a known path, other method). */
export type Routes = Record<string, Record<string, Handler>>

export interface Served {
  /** `http://127.0.0.1:<port>` (or the `origin` passed in). */
  origin: string
  port: number
  close(): Promise<void>
}

export interface ServeOptions {
  host?: string
  port?: number
  /** The public origin requests are rebuilt on (never taken from the `Host` header). */
  origin?: (port: number) => string
  /** Larger bodies are cut here: the webhook route then answers 413 itself. */
  maxBodyBytes?: number
  /** Called after every response (for the live mode's log). */
  onResponse?: (request: Request, response: Response, body: Buffer) => void
}

/** Listens on `host:port` (port 0: a free one) and serves `routes()` (read per request, so the routes can be built after the port is known). */
export async function serve(routes: () => Routes, options: ServeOptions = {}): Promise<Served> {
  const host = options.host ?? '127.0.0.1'
  const maxBody = options.maxBodyBytes ?? 1024 * 1024
  let origin = ''
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('demo server: request failed:', error)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('Internal error')
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await toRequest(req, origin, maxBody)
    const url = new URL(request.url)
    const byMethod = routes()[url.pathname]
    const handler = byMethod?.[request.method]
    const response = handler
      ? await handler(request)
      : new Response(byMethod ? 'Method not allowed' : 'Not found', {
          status: byMethod ? 405 : 404,
        })
    const body = Buffer.from(await response.arrayBuffer())
    options.onResponse?.(request, response, body)
    writeResponse(res, response, body)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  origin = options.origin ? options.origin(port) : `http://${host}:${port}`
  return {
    origin,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** IncomingMessage → Request: same method, headers (repeated ones kept), raw body bytes. */
async function toRequest(req: IncomingMessage, origin: string, maxBody: number): Promise<Request> {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const method = (req.method ?? 'GET').toUpperCase()
  const url = new URL(req.url ?? '/', origin)
  if (method === 'GET' || method === 'HEAD') {
    req.resume()
    return new Request(url, { method, headers })
  }
  // Keep at most maxBody + 1 bytes: enough for the route to see that the body is too large.
  const chunks: Buffer[] = []
  let kept = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (kept > maxBody) continue
    const part = chunk.subarray(0, maxBody + 1 - kept)
    chunks.push(part)
    kept += part.length
  }
  return new Request(url, { method, headers, body: Buffer.concat(chunks, kept) })
}

/** Response → ServerResponse: status, headers (each Set-Cookie on its own line), body. */
function writeResponse(res: ServerResponse, response: Response, body: Buffer): void {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  headers['content-length'] = String(body.length)
  res.writeHead(response.status, headers)
  res.end(body)
}
