// next.config.ts: keep the native addon out of the server bundle (Next.js loads it with Node's require).
// In the real app: `import type { NextConfig } from 'next'` and `const nextConfig: NextConfig = { … }`.
const nextConfig = {
  serverExternalPackages: ['@support/stripe-connect'],
}

export default nextConfig
