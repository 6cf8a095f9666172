import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // As create-next-app sets them (Next.js 16); the routes also build with both off.
  cacheComponents: true,
  partialPrefetching: true,
  // Node loads the native addon at run time; a bundler cannot. Without this line the build fails
  // ("node addon is not placeable in ESM chunks" with Turbopack, "Module parse failed" with webpack).
  serverExternalPackages: ['@support/stripe-connect'],
}

export default nextConfig
