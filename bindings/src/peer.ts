/**
 * Optional peer dependencies (`ai` for `/ai`, `@modelcontextprotocol/sdk` for `/mcp` and the
 * bin), loaded when the sub-path is: a missing one is one line saying what to install, with the
 * code `config_invalid`, instead of Node's `Cannot find module` stack. The error is thrown while
 * the sub-path loads, so `try { await import('@support/stripe-connect/ai') } catch {}` catches it.
 * @internal
 */
import { StripeConnectError } from './errors.js'

/** `require(specifier)`, or `config_invalid` naming `pkg` when it is not installed. */
export function requirePeer<T>(specifier: string, pkg: string, subpath: string): T {
  try {
    return require(specifier) as T
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown }
    const missing =
      (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') &&
      typeof e.message === 'string' &&
      e.message.includes(`'${specifier}'`)
    if (!missing) throw err
    throw new StripeConnectError(
      'config_invalid',
      `${subpath} needs the optional peer dependency ${pkg}, which is not installed: npm i ${pkg}`,
      { cause: err },
    )
  }
}
