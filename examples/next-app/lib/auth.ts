// The seam to the support app's BetterAuth instance.
//
// BetterAuth is not a dependency of @support/stripe-connect, so this example declares the small
// part of its server API that lib/stripe-connect.ts uses, with BetterAuth's own call shape:
// `auth.api.getSession({ headers })` resolves to `{ session, user }` or `null`, and the admin
// plugin adds `user.role`. In the real app this file is the app's own
//
//   export const auth = betterAuth({ database: drizzleAdapter(db, { provider: 'mysql' }), plugins: [admin()] })
//
// and nothing else changes. Until it is replaced, every session lookup throws: connecting an app
// fails closed (the authorize route answers 500 and logs why) instead of letting anyone in.

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

/** The part of BetterAuth's `auth` object this example uses. */
export interface Auth {
  api: {
    getSession(options: { headers: Headers }): Promise<AuthSession | null>
  }
}

export const auth: Auth = {
  api: {
    async getSession() {
      throw new Error(
        "examples/next-app/lib/auth.ts is a seam: replace it with the app's BetterAuth instance (export const auth = betterAuth({...}))",
      )
    },
  },
}

/** Whether the user has `role` (the admin plugin stores several roles comma-separated). */
export function hasRole(user: AuthUser, role: string): boolean {
  return (user.role ?? '').split(',').some((r) => r.trim() === role)
}
