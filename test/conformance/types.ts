/**
 * The shape of a conformance case: one request and what the Go spec expects of the answer,
 * transcribed from ipfs/gateway-conformance tests/*.go (never their code). `goTest` names the Go
 * test function the case came from, `name` is its `Name:`.
 */
import type { Fixture, FixtureCar, FixtureRecord, FIXTURE_RECORDS } from './fixtures.js'

/** The two gateways Cairn runs: the local network peer's trustless gateway, the service worker's path gateway. */
export type GatewayKind = 'node' | 'sw'

export interface CaseContext {
  fx: (name: FixtureCar) => Promise<Fixture>
  record: (file: typeof FIXTURE_RECORDS[number]) => Promise<FixtureRecord>
}

export interface CaseRequest {
  method?: 'GET' | 'HEAD' | 'OPTIONS'
  /** `/ipfs/…` or `/ipns/…`, with its query. Each gateway puts its own base in front. */
  path: string
  headers?: Record<string, string>
}

export interface HeaderCheck {
  name: string
  equals?: string
  contains?: string
  /** A regular expression source the value must match. */
  matches?: string
  /** true: present (any value); false: absent. */
  exists?: boolean
  notEmpty?: true
  /** A comma-separated list holding each of these (case-insensitive). */
  has?: string[]
  /** `Cache-Control` is public, immutable and max-age ≥ 29030400. */
  immutable?: true
  /** The check must NOT hold (the Go builder's `.Not()`). */
  not?: true
}

export type BodyCheck =
  | { kind: 'bytes', bytes: Uint8Array }
  | { kind: 'contains', text: string }
  | { kind: 'not-contains', text: string }
  /** Every one of these holds (the Go `And`). */
  | { kind: 'all', checks: BodyCheck[] }
  | { kind: 'empty' }
  /** A CAR holding these blocks; `exactly`: nothing else; `inOrder`: in this order. */
  | { kind: 'car', blocks: string[], exactly?: boolean, inOrder?: boolean }
  | { kind: 'ipns-record', name: string, value: string }
  | { kind: 'json', value: unknown }
  /** A tar holding these entries (name → text content; null for a directory). */
  | { kind: 'tar', entries: Record<string, string | null> }

export interface Expectation {
  status?: number
  /** Any status in [from, to]. */
  statusBetween?: [number, number]
  headers?: HeaderCheck[]
  body?: BodyCheck
}

export interface ConformanceCase {
  /** Report group, e.g. `trustless: raw`. */
  group: string
  goTest: string
  name: string
  /** A reason per gateway this case does not apply to. */
  notApplicable?: Partial<Record<GatewayKind, string>>
  /** Only these gateways (the others are "not applicable: <why>"). */
  only?: GatewayKind
  request: (ctx: CaseContext) => Promise<CaseRequest> | CaseRequest
  /** One expectation, or several of which any one must hold (the Go `AnyOf`). */
  expect: (ctx: CaseContext) => Promise<Expectation | Expectation[]> | Expectation | Expectation[]
}

export interface TransportResponse {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

export type Transport = (request: CaseRequest) => Promise<TransportResponse>

export interface CaseResult {
  group: string
  goTest: string
  name: string
  outcome: 'passed' | 'failed' | 'not applicable'
  /** Why it failed, or why it does not apply. */
  reason?: string
}

export interface GroupSummary { group: string, passed: number, applicable: number, notApplicable: number }

export interface ConformanceReport {
  gateway: GatewayKind
  groups: GroupSummary[]
  passed: number
  applicable: number
  results: CaseResult[]
}
