#!/usr/bin/env node
// `stripe-connect-mcp`: the read-only support tools as an MCP server on stdio, configured from the
// environment (see `mcpOptionsFromEnv` in ./mcp.ts). Logs go to stderr: stdout is the protocol.
import { mcpOptionsFromEnv, serveStdio } from './mcp.js'

async function main(): Promise<void> {
  const { client, appSlugs } = mcpOptionsFromEnv()
  await serveStdio(client, { appSlugs })
  // Safe to print: the core validated these slugs (and refuses one shaped like a secret key).
  console.error(`stripe-connect-mcp: serving ${appSlugs.join(', ')} on stdio`)
}

// A bad environment is `[config_invalid]` naming the variable and the entry's position (the core
// never quotes the value), and exit code 1.
main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  console.error(`stripe-connect-mcp: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`)
  process.exit(1)
})
