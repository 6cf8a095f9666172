// The seam to the support app's BetterAuth instance.
//
// BetterAuth is not a dependency of @support/stripe-connect, so this example declares the small
// part of its server API that lib/stripe-connect.ts uses, with BetterAuth's own call shape:
// `auth.api.getSession({ headers })` resolves to `{ session, user }` or `null`, and the admin
// plugin adds `user.role`. In the real app this file is the app's own
//
//   export const auth = betterAuth({ database: drizzleAdapter(db, { provider: 'mysql' }), plugins: [admin()] })
//
// with the MCP plugin (`mcp({ loginPage: '/sign-in' })`) for the agents' bearer tokens, and nothing
// else changes. Until it is replaced, every session lookup throws: connecting an app and the MCP
// endpoint fail closed (500, logged) instead of letting anyone in.

export interface AuthUser {
  id: string
  email: string
  name: string
  /** Set by BetterAuth's admin plugin (`'admin'`, `'user'`, or a comma-separated list). */
  role?: string | null
}

export interface AuthSession {
  session: { id: string; userId: string; expiresAt: Date }
  user: AuthUser
}

/**
 * An MCP client's access token, as BetterAuth's MCP plugin returns it from `getMcpSession` (the
 * fields this example reads): whose token it is and what it was granted.
 */
export interface McpSession {
  userId: string
  clientId: string
  /** Space-separated OAuth scopes. */
  scopes: string
}

/** The part of BetterAuth's `auth` object this example uses. */
export interface Auth {
  api: {
    getSession(options: { headers: Headers }): Promise<AuthSession | null>
    /** The bearer token of an MCP request (`Authorization: Bearer …`), or `null`. */
    getMcpSession(options: { headers: Headers }): Promise<McpSession | null>
  }
}

const SEAM =
  "examples/next-app/lib/auth.ts is a seam: replace it with the app's BetterAuth instance (export const auth = betterAuth({...}))"

export const auth: Auth = {
  api: {
    async getSession() {
      throw new Error(SEAM)
    },
    async getMcpSession() {
      throw new Error(SEAM)
    },
  },
}

/** Whether the user has `role` (the admin plugin stores several roles comma-separated). */
export function hasRole(user: AuthUser, role: string): boolean {
  return (user.role ?? '').split(',').some((r) => r.trim() === role)
}
