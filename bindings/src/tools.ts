/**
 * `@support/stripe-connect/tools`: the read-only tools for a support agent, framework-free.
 *
 * `toolDefinitions()` lists them (name, a description written for a model, a JSON Schema draft
 * 2020-12 of the arguments, documented examples); `client.callTool(name, args, { appSlugs })` runs
 * one within the apps the conversation may see and resolves with a `ToolResult`, never rejecting
 * for a model's mistake. The Rust core does the work; `/ai` and `/mcp` adapt these to the AI SDK
 * and to MCP.
 */
import native = require('../native/index.js')
import type { StripeConnectErrorCode } from './errors.js'

/** The tools' names (stable). */
export const TOOL_NAMES = [
  'get_customer_context',
  'get_payment_history',
  'get_subscription_status',
  'lookup_charge',
  'verify_refund',
  'get_disputes',
  'list_connected_apps',
] as const

export type ToolName = (typeof TOOL_NAMES)[number]

/** A JSON Schema (draft 2020-12) object schema with `additionalProperties: false`. */
export interface ToolInputSchema {
  $schema: 'https://json-schema.org/draft/2020-12/schema'
  type: 'object'
  properties: Record<string, Record<string, unknown>>
  required: string[]
  additionalProperties: false
  [keyword: string]: unknown
}

/** One tool as a model sees it. */
export interface ToolDefinition {
  name: ToolName
  /** A short human title. */
  title: string
  /** What it answers, when to use it, what it never does (written for a model). */
  description: string
  inputSchema: ToolInputSchema
  /** Valid argument objects. */
  examples: Record<string, unknown>[]
}

/** A tool's failure, as data the model can read. */
export interface ToolError {
  code: StripeConnectErrorCode
  message: string
  /** Whether the same call may succeed later (rate limit, timeout, Stripe or a store down). */
  retryable: boolean
}

/** What a tool call resolves with. `fetchedAt` is when the answer was read (Unix seconds). */
export type ToolResult<T = Record<string, unknown>> =
  | { success: true; data: T; fetchedAt: number }
  | { success: false; error: ToolError }

/** Which apps a conversation may see: fixed by the caller, never by the model. */
export interface ToolScopeOptions {
  appSlugs: readonly string[]
}

/** Every tool, in a stable order (a fresh copy each call). */
export function toolDefinitions(): ToolDefinition[] {
  return native.toolDefinitions() as unknown as ToolDefinition[]
}
