// /api/mcp: the read-only support tools as an MCP server over Streamable HTTP, for the staff's own
// agents. Who reaches which app is decided per request in lib/stripe-connect.ts (`mcp`).
import { mcp } from '@/lib/stripe-connect'

export const { POST, GET, DELETE, OPTIONS } = mcp
