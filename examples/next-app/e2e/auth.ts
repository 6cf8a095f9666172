// The walk's stand-in for lib/auth.ts (the seam to the app's BetterAuth instance), with the same
// exports. .ci/next-app.sh copies it over lib/auth.ts for the CI build only, and puts the seam back
// afterwards: a request with the cookie `e2e_session=<email>` is a signed-in support admin, any
// other request has no session; `Authorization: Bearer e2e_mcp_<user id>` is an MCP client's token
// of that user. Never ship it.
export interface AuthUser {
  id: string
  email: string
  name: string
  role?: string | null
}

export interface AuthSession {
  session: { id: string; userId: string; expiresAt: Date }
  user: AuthUser
}

export interface McpSession {
  userId: string
  clientId: string
  scopes: string
}

export interface Auth {
  api: {
    getSession(options: { headers: Headers }): Promise<AuthSession | null>
    getMcpSession(options: { headers: Headers }): Promise<McpSession | null>
  }
}

export const auth: Auth = {
  api: {
    async getSession({ headers }) {
      const cookie = headers.get('cookie') ?? ''
      const email = /(?:^|;\s*)e2e_session=([^;]+)/.exec(cookie)?.[1]
      if (!email) return null
      const user = {
        id: `user_${email}`,
        email: decodeURIComponent(email),
        name: 'E2E',
        role: 'admin',
      }
      return {
        session: { id: 'session_e2e', userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
        user,
      }
    },
    async getMcpSession({ headers }) {
      const token = /^Bearer e2e_mcp_([A-Za-z0-9_-]+)$/.exec(headers.get('authorization') ?? '')
      if (!token) return null
      return { userId: token[1]!, clientId: 'e2e-mcp-client', scopes: 'openid profile' }
    },
  },
}

export function hasRole(user: AuthUser, role: string): boolean {
  return (user.role ?? '').split(',').some((r) => r.trim() === role)
}
