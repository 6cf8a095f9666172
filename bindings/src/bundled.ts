// What a bundler's server build gets for `@support/stripe-connect` through the `react-server`
// condition of package.json `exports` (Next.js resolves route handlers and server components with
// it). It is used only when the package is bundled instead of left to Node, and the native addon
// cannot be bundled: evaluating this module fails with the fix named (at `next build`'s "Collecting
// page data" step, or at the first request) instead of a bundler error that never names it. With
// `serverExternalPackages`, Node's own `require` loads the real entry with Node's conditions.
// Assigned from a call, so a bundler cannot list the exports statically: `import { StripeConnect }`
// links, and the module fails when it runs, with the message.
module.exports = (() => {
  throw new Error(
    "@support/stripe-connect was resolved with the `react-server` condition, as a bundler does for server code (Next.js route handlers and server components), but it is a native (napi-rs) addon that Node.js must load itself. In Next.js add it to next.config: serverExternalPackages: ['@support/stripe-connect']. With another bundler, mark it external.",
  )
})()
