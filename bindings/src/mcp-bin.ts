#!/usr/bin/env node
// `stripe-connect-mcp`: the read-only support tools as an MCP server on stdio, configured from the
// environment (see `mcpOptionsFromEnv` in ./mcp.ts). Logs go to stderr: stdout is the protocol.
import { quoteForLog } from '../native/index.js'
import { mcpOptionsFromEnv, serveStdio } from './mcp.js'

async function main(): Promise<void> {
  const { client, appSlugs } = mcpOptionsFromEnv()
  await serveStdio(client, { appSlugs })
  // Safe to print: the core validated these slugs (and refuses one shaped like a secret key).
  console.error(`stripe-connect-mcp: serving ${appSlugs.join(', ')} on stdio`)
}

// A bad environment is `[config_invalid]` naming the variable and the entry's position (the core
// never quotes the value), and exit code 1. Whatever else fails is printed through the core's
// quoting too (a peer's error may quote anything).
main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  const text = `${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`
  console.error(`stripe-connect-mcp: ${quoteForLog(text)}`)
  process.exit(1)
})
