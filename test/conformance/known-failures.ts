/**
 * Cases that fail on purpose or for now, per gateway, keyed `<Go test>: <case name>`, with why.
 * The README's conformance section lists the same.
 */
import type { GatewayKind } from './types.js'

export const KNOWN_FAILURES: Record<GatewayKind, Record<string, string>> = {
  node: {},
  sw: {}
}
