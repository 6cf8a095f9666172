// /api/mcp: the read-only support tools as an MCP server over Streamable HTTP, for the staff's own
// agents. Who reaches which app is decided per request in lib/mcp.ts (`mcp`).
import { mcp } from '@/lib/mcp'

export const { POST, GET, DELETE, OPTIONS } = mcp
