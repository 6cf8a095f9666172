// The OAuth protected-resource metadata (RFC 9728) of /api/mcp: where an MCP client that got a 401
// finds the app's authorization server (BetterAuth).
import { connection } from 'next/server'

import { mcpMetadata } from '@/lib/mcp'

export async function GET(request: Request): Promise<Response> {
  // Built from the request's own origin: never prerendered at build.
  await connection()
  return mcpMetadata.GET(request)
}

export const OPTIONS = mcpMetadata.OPTIONS
