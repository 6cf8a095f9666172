// The customer Search API (`GET /v1/customers/search`): the slice of Stripe's query language the
// kit understands, page tokens, and customers not yet indexed (search is eventually consistent).

import type { StripeObject } from '../objects.js'
import { newestFirst, type AccountState } from './accounts.js'
import { expand } from './expand.js'
import { checkParams, expandList, parseLimit } from './params.js'
import { invalidRequest } from './responses.js'

export const SEARCH_PATH = '/v1/customers/search'

export function searchCustomers(account: AccountState, q: URLSearchParams): object {
  checkParams(q, ['query', 'limit', 'page', 'expand'])
  const query = q.get('query')
  if (query === null || query.trim() === '') {
    throw invalidRequest(400, 'Missing required param: query.', 'parameter_missing', 'query')
  }
  const predicate = parseSearchQuery(query)
  const limit = parseLimit(q.get('limit'))
  const hits = newestFirst(account, 'customers').filter(
    (c) => !account.unsearchable.has(c.id) && predicate(c),
  )
  let offset = 0
  const page = q.get('page')
  if (page !== null) {
    const m = /^page_(\d+)$/.exec(page)
    if (!m) throw invalidRequest(400, `Invalid page: '${page}'`, 'parameter_invalid_string', 'page')
    offset = Number(m[1])
  }
  const data = hits.slice(offset, offset + limit).map((o) => structuredClone(o))
  const hasMore = hits.length > offset + limit
  const paths = expandList(q)
  const out: Record<string, unknown> = {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? `page_${offset + limit}` : null,
    url: SEARCH_PATH,
  }
  if (paths.includes('total_count')) out['total_count'] = hits.length
  return expand(
    account,
    out,
    paths.filter((e) => e !== 'total_count'),
  )
}

function badQuery(message: string) {
  return invalidRequest(400, message, 'parameter_invalid_string', 'query')
}

/**
 * The slice of Stripe's search query language the fake understands, for customers:
 * `field:"value"` (exact, case-insensitive), `field~"value"` (substring, case-insensitive, 3+ chars),
 * `-` to negate, clauses joined by all-`AND` or all-`OR`. Fields: email, name, phone, metadata["key"].
 */
function parseSearchQuery(query: string): (obj: StripeObject) => boolean {
  const clauseRe =
    /^\s*(-?)(email|name|phone|metadata\["([^"]+)"\])\s*(:|~)\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*/
  const clauses: ((o: StripeObject) => boolean)[] = []
  const joins = new Set<string>()
  let rest = query
  for (;;) {
    const m = clauseRe.exec(rest)
    if (!m) {
      throw badQuery(
        `The fake Stripe could not parse the search query ${JSON.stringify(query)}: it supports email, name, phone and metadata["key"] with : or ~ and quoted values, joined by AND or OR.`,
      )
    }
    const [, neg, field, metaKey, op, dq, sq] = m
    const value = (dq ?? sq ?? '').replace(/\\(.)/g, '$1').toLowerCase()
    if (op === '~' && value.length < 3) {
      throw badQuery('Substring (~) search needs at least 3 characters.')
    }
    clauses.push((o) => {
      const raw =
        metaKey !== undefined
          ? (o['metadata'] as Record<string, string> | undefined)?.[metaKey]
          : o[field!]
      const actual = typeof raw === 'string' ? raw.toLowerCase() : null
      const hit = actual !== null && (op === ':' ? actual === value : actual.includes(value))
      return neg ? !hit : hit
    })
    rest = rest.slice(m[0].length)
    if (rest.trim() === '') break
    const j = /^(AND|OR)\s+/.exec(rest)
    if (!j) {
      throw badQuery(
        `The fake Stripe could not parse the search query ${JSON.stringify(query)} near ${JSON.stringify(rest)}.`,
      )
    }
    joins.add(j[1]!)
    rest = rest.slice(j[0].length)
  }
  if (joins.size > 1) throw badQuery('Search queries cannot mix AND and OR.')
  return joins.has('OR') ? (o) => clauses.some((c) => c(o)) : (o) => clauses.every((c) => c(o))
}
