// Issue 23 item 4: the stdio bin never goes deaf or silent. `"params": null` got no answer and
// nothing was logged; a line over 10 MiB stopped the server answering (alive but deaf); transport
// errors never reached stderr; there was no `--help`. Each is run against the real bin.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, test } from 'node:test'
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js'

const BIN = join(__dirname, '..', 'bindings', 'dist', 'mcp-bin.js')
const ENV = {
  PATH: process.env.PATH ?? '',
  STRIPE_SECRET_KEY: 'sk_test_mcp_stdio_spec',
  STRIPE_CONNECT_ACCOUNTS: 'helpdesk=acct_1McpStdio',
  // Nothing here reaches Stripe: a closed loopback port.
  STRIPE_API_BASE: 'http://127.0.0.1:9',
}

/** The bin on stdio: send lines, read the answers (one JSON message a line) and stderr. */
function startBin(protocolVersion = '2025-06-18') {
  const child = spawn(process.execPath, [BIN], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] })
  const answers: Record<string, unknown>[] = []
  const waiting: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    answers.push(JSON.parse(line))
    for (const wake of waiting.splice(0)) wake()
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const send = (message: unknown) =>
    child.stdin!.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`)
  /** The answer that matches `pick`, waiting up to 10 s for it. */
  async function answer(pick: (a: Record<string, unknown>) => boolean) {
    const deadline = Date.now() + 10_000
    for (;;) {
      const found = answers.find(pick)
      if (found !== undefined) return found
      if (Date.now() > deadline) assert.fail(`no such answer; got ${JSON.stringify(answers)}`)
      await new Promise<void>((resolve) => {
        waiting.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }
  send({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion,
      capabilities: {},
      clientInfo: { name: 'spec', version: '1' },
    },
  })
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  return { child, send, answer, stderr: () => stderr }
}

describe('stripe-connect-mcp on stdio', () => {
  test('--help prints the usage and every variable, exit 0, nothing else started', () => {
    const run = spawnSync(process.execPath, [BIN, '--help'], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 20_000,
    })
    assert.equal(run.status, 0, run.stderr)
    for (const name of [
      'STRIPE_SECRET_KEY',
      'STRIPE_CONNECT_ACCOUNTS',
      'STRIPE_CONNECT_APP_SLUGS',
      'STRIPE_API_BASE',
      'Usage: stripe-connect-mcp',
    ]) {
      assert.ok(run.stdout.includes(name), name)
    }
    assert.equal(run.stderr, '')
  })

  test('"params": null is answered (ping), and so is a tools/call without params', async () => {
    const bin = startBin()
    try {
      await bin.answer((a) => a.id === 0)
      bin.send({ jsonrpc: '2.0', id: 1, method: 'ping', params: null })
      assert.deepEqual(await bin.answer((a) => a.id === 1), { jsonrpc: '2.0', id: 1, result: {} })
      bin.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: null })
      const refused = await bin.answer((a) => a.id === 2)
      assert.ok('error' in refused, JSON.stringify(refused))
    } finally {
      bin.child.kill()
    }
  })

  test('a line over the limit is refused with -32600 and logged; the server keeps answering', async () => {
    const bin = startBin()
    try {
      await bin.answer((a) => a.id === 0)
      bin.send({
        jsonrpc: '2.0',
        id: 3,
        method: 'ping',
        params: { pad: 'a'.repeat(11 * 1024 * 1024) },
      })
      const refused = await bin.answer((a) => a.id === null)
      assert.deepEqual(refused.error, {
        code: -32600,
        message: 'message over 4194304 bytes refused',
      })
      bin.send({ jsonrpc: '2.0', id: 4, method: 'ping' })
      assert.deepEqual(await bin.answer((a) => a.id === 4), { jsonrpc: '2.0', id: 4, result: {} })
      assert.match(bin.stderr(), /stripe-connect-mcp: a message of \d+ bytes or more was refused/)
      assert.equal(bin.child.exitCode, null, 'still running')
    } finally {
      bin.child.kill()
    }
  })

  test('a line that is not JSON is answered with -32700 and logged, quoted by the core', async () => {
    const bin = startBin()
    try {
      await bin.answer((a) => a.id === 0)
      bin.send('not json Bearer abcdefghijklmnopqrstuvwx \u001b[2J')
      const refused = await bin.answer((a) => a.id === null)
      assert.deepEqual(refused.error, {
        code: -32700,
        message: 'parse error: the line is not JSON',
      })
      bin.send({ jsonrpc: '2.0', id: 5, method: 'ping' })
      await bin.answer((a) => a.id === 5)
      assert.match(
        bin.stderr(),
        /a line that is not JSON was refused: not json Bearer \[credential redacted, 24 chars\]/,
      )
      assert.ok(
        !bin.stderr().includes('abcdefghijklmnop') && !bin.stderr().includes('\u001b'),
        bin.stderr(),
      )
    } finally {
      bin.child.kill()
    }
  })

  // Issue 23 item 3: the newest protocol the SDK implements is negotiated, and a client pinned to
  // an older one (2025-06-18, the first with structured output) still lists and calls the tools.
  for (const version of [LATEST_PROTOCOL_VERSION, '2025-06-18']) {
    test(`protocol ${version}: negotiated as asked; tools/list and tools/call answer`, async () => {
      const bin = startBin(version)
      try {
        const init = (await bin.answer((a) => a.id === 0)) as {
          result: { protocolVersion: string }
        }
        assert.equal(init.result.protocolVersion, version)
        bin.send({ jsonrpc: '2.0', id: 10, method: 'tools/list' })
        const list = (await bin.answer((a) => a.id === 10)) as {
          result: { tools: { name: string; outputSchema?: unknown }[] }
        }
        assert.equal(list.result.tools.length, 10)
        assert.ok(list.result.tools.every((t) => typeof t.outputSchema === 'object'))
        bin.send({
          jsonrpc: '2.0',
          id: 11,
          method: 'tools/call',
          params: { name: 'list_connected_apps', arguments: {} },
        })
        const call = (await bin.answer((a) => a.id === 11)) as {
          result: { isError: boolean; structuredContent: { success: boolean; data: unknown } }
        }
        assert.equal(call.result.isError, false)
        assert.deepEqual(call.result.structuredContent.data, {
          apps: [{ appSlug: 'helpdesk', connected: true, livemode: false }],
        })
      } finally {
        bin.child.kill()
      }
    })
  }
})
