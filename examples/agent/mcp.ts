// An MCP server over stdio with the app's own stores (or run the `stripe-connect-mcp` bin).
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { StripeConnect, type ConnectionStore } from '@support/stripe-connect'
import { createMcpServer } from '@support/stripe-connect/mcp'

export async function serve(connections: ConnectionStore, appSlugs: string[]) {
  const stripe = StripeConnect.fromEnv({ stores: { connections } })
  const server = createMcpServer(stripe, { appSlugs })
  await server.connect(new StdioServerTransport())
}
