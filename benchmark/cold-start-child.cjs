// One cold start, in a fresh `node` process (plain CommonJS, no loader hooks): load a package the
// way a user's server does and construct its client; print what that cost. Driven by cold-start.ts.
//   node benchmark/cold-start-child.cjs <ours|stripe|none> <specifier for ours> <repository root>
'use strict'
const t0 = process.hrtime.bigint()
const rss0 = process.memoryUsage.rss()
const { createRequire } = require('node:module')
const path = require('node:path')
const { readFileSync } = require('node:fs')

/** Resident anonymous (private: heap, stacks) and file-backed (code, shareable) memory, bytes. */
function rssSplit() {
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = (name) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { anon: kb('RssAnon'), file: kb('RssFile') }
}
const split0 = rssSplit()

const [which, oursSpecifier, root] = process.argv.slice(2)
const req = createRequire(path.join(root, 'package.json'))
let client
let tLoaded = t0
let rssLoaded = rss0
if (which === 'ours') {
  const pkg = req(oursSpecifier)
  tLoaded = process.hrtime.bigint()
  rssLoaded = process.memoryUsage.rss()
  client = new pkg.StripeConnect({
    secretKey: 'sk_test_coldstart',
    clientId: 'ca_coldstart',
    redirectUri: 'http://localhost:3000/api/stripe/connect/callback',
    webhookSecrets: ['whsec_coldstart'],
  })
} else if (which === 'stripe') {
  const Stripe = req('stripe')
  tLoaded = process.hrtime.bigint()
  rssLoaded = process.memoryUsage.rss()
  client = new Stripe('sk_test_coldstart')
} else if (which !== 'none') {
  throw new Error(`unknown subject ${which}`)
}
const t1 = process.hrtime.bigint()
const rss1 = process.memoryUsage.rss()
const split1 = rssSplit()
process.stdout.write(
  JSON.stringify({
    which,
    constructed: client !== undefined,
    requireMs: Number(tLoaded - t0) / 1e6,
    totalMs: Number(t1 - t0) / 1e6,
    rssBefore: rss0,
    rssAfter: rss1,
    rssAdded: rss1 - rss0,
    rssAddedByRequire: rssLoaded - rss0,
    anonAdded: split1.anon - split0.anon,
    fileAdded: split1.file - split0.file,
  }) + '\n',
)
