#!/usr/bin/env node
// `stripe-connect-mcp`: the read-only support tools as an MCP server on stdio, configured from the
// environment (see `mcpOptionsFromEnv` in ./mcp.ts). Logs go to stderr: stdout is the protocol.
import { quoteForLog } from '../native/index.js'

const HELP = `stripe-connect-mcp: the read-only Stripe Connect support tools as an MCP server on stdio.

Usage: stripe-connect-mcp            serve on stdin/stdout (an MCP client starts it)
       stripe-connect-mcp --help     this text

Environment:
  STRIPE_SECRET_KEY          the platform's secret or restricted key (sk_… / rk_…), required
  STRIPE_CONNECT_ACCOUNTS    the connected apps: "slug=acct_…,slug2=acct_…", required
  STRIPE_CONNECT_APP_SLUGS   the apps this server may answer about, comma-separated
                             (default: every app of STRIPE_CONNECT_ACCOUNTS)
  STRIPE_API_BASE            another Stripe API host, e.g. the test kit (default https://api.stripe.com)

Logs go to stderr; stdout is the protocol. A malformed variable exits 1 with [config_invalid],
naming the variable and the entry, never its value. More: docs/agent-tools.md.
`

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP)
    return
  }
  // Loaded here, not at the top: a missing MCP SDK is then one `[config_invalid]` line below.
  const { mcpOptionsFromEnv, serveStdio } = await import('./mcp.js')
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
