/**
 * Resolving names: IPNS keys through delegated routers and connected record peers (every record
 * validated, the best one by sequence then validity, never below a sequence already seen), and
 * DNSLink through DNS-over-HTTPS.
 */
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import { queryDNSLink } from './delegated.js'
import { DNSLinkNotFoundError, RecordNotFoundError, SequenceRollbackError } from './errors.js'
import { inspectRecord } from './inspect.js'
import { parseIPNSPath } from './names.js'
import { hasTargets, recordSources } from './sources.js'
import type { ValidRecord } from './inspect.js'
import type { IPNSName } from './names.js'
import type { IPNSComponents } from './publish.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'

export type ResolveEvents =
  | ProgressEvent<'ipns:resolve:answer', { name: string, source: string, sequence?: bigint | undefined, invalid?: string | undefined, error?: string | undefined }>
  | ProgressEvent<'ipns:resolve:dnslink', { domain: string, value: string }>

export interface ResolveOptions extends OperationOptions<ResolveEvents> {
  /** DNS-over-HTTPS JSON endpoint for DNSLink names, e.g. `https://host/dns-query`. */
  dohEndpoint?: string | undefined
  /** Per-request timeout in ms. @default 30 s */
  timeoutMs?: number | undefined
  /** How many `/ipns/` and DNSLink hops to follow. @default 32 */
  maxDepth?: number | undefined
  /** The time to check expiry against, ms since the epoch. @default now */
  now?: number | undefined
}

/** One hop of a resolution. */
export type ResolveStep =
  | { kind: 'ipns', name: IPNSName, record: ValidRecord, source: string }
  | { kind: 'dnslink', domain: string, value: string, ttlMs: number | undefined }

export interface ResolveResult {
  /** The final content path, with any sub-path of the query appended: `/ipfs/bafy…/a/b`. */
  value: string
  /** The first hop's record sequence (IPNS names only). */
  sequence: bigint | undefined
  /** The first hop's record EOL, RFC 3339 (IPNS names only). */
  validity: string | undefined
  /** The first hop's EOL, ms since the epoch (IPNS names only). */
  expiresAt: number | undefined
  /** The shortest TTL along the chain in ms, i.e. how long this answer may be cached. */
  ttlMs: number | undefined
  /** Every hop, in order. */
  steps: ResolveStep[]
}

function joinPath (value: string, path: string): string {
  if (path === '' || path === '/') return value
  return value.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '')
}

/** Fetches and validates the name's record from every source; returns the best, or throws. */
export async function resolveRecord (components: IPNSComponents, name: IPNSName, options: ResolveOptions = {}): Promise<{ record: ValidRecord, source: string }> {
  const sources = await recordSources(components, name, options)
  if (sources.length === 0) {
    throw new InvalidInputError(hasTargets(components)
      ? `There is nowhere to resolve ${name.k51} from: no delegated router is configured and no connected peer holds records. Connect to the local network peer or a DHT server, or configure a router.`
      : 'There is nowhere to resolve from: give at least one delegated router URL, or a libp2p node connected to peers that hold records.')
  }
  const problems: string[] = []
  const answers = await Promise.all(sources.map(async ({ source, get }) => {
    try {
      const bytes = await get()
      if (bytes === undefined) {
        emit(options, 'ipns:resolve:answer', { name: name.k51, source })
        return undefined
      }
      const verdict = await inspectRecord(bytes, { name, now: options.now })
      if (!verdict.valid) {
        problems.push(`${source} sent an invalid record (${verdict.reason}): ${verdict.message}`)
        emit(options, 'ipns:resolve:answer', { name: name.k51, source, invalid: verdict.message })
        return undefined
      }
      emit(options, 'ipns:resolve:answer', { name: name.k51, source, sequence: verdict.sequence })
      return { record: verdict, source }
    } catch (err) {
      options.signal?.throwIfAborted()
      problems.push(`${source}: ${(err as Error).message}`)
      emit(options, 'ipns:resolve:answer', { name: name.k51, source, error: (err as Error).message })
      return undefined
    }
  }))
  let best: { record: ValidRecord, source: string } | undefined
  for (const a of answers) {
    if (a === undefined) continue
    if (best === undefined || a.record.sequence > best.record.sequence ||
      (a.record.sequence === best.record.sequence && a.record.expiresAt > best.record.expiresAt)) {
      best = a
    }
  }
  if (best === undefined) {
    throw new RecordNotFoundError(`No valid record was found for ${name.k51}${problems.length > 0 ? ': ' + problems.join('; ') : ' (no router has one)'}. Check the name and the routers, or ask the publisher to republish.`)
  }
  const seen = (await components.state.get(name, options))?.highestSequence
  if (seen !== undefined && best.record.sequence < seen) {
    throw new SequenceRollbackError(`The routers only offer sequence ${best.record.sequence} for ${name.k51}, but sequence ${seen} was already seen: this is a rollback to an older record, refused. Try other routers, or wait for the publisher's newer record to spread.`, best.record.sequence, seen)
  }
  await components.state.observe(name, best.record.sequence, best.record.bytes, options)
  return best
}

/**
 * Resolves `k51…`, `bafz…`, `/ipns/<name>[/path]` or a DNSLink domain (`/ipns/example.org/path`)
 * to a content path, following `/ipns/` values and DNSLink chains.
 */
export async function resolve (components: IPNSComponents, nameOrPath: string, options: ResolveOptions = {}): Promise<ResolveResult> {
  const steps: ResolveStep[] = []
  const maxDepth = options.maxDepth ?? 32
  let current = nameOrPath
  let tail = ''
  for (let depth = 0; depth < maxDepth; depth++) {
    const parsed = parseIPNSPath(current)
    tail = joinPath(parsed.path, tail)
    let value: string
    if (parsed.kind === 'key') {
      const { record, source } = await resolveRecord(components, parsed.name, options)
      steps.push({ kind: 'ipns', name: parsed.name, record, source })
      value = record.value
    } else {
      if (options.dohEndpoint === undefined) {
        throw new InvalidInputError(`"${parsed.domain}" is a DNSLink name; resolving it needs a DNS-over-HTTPS endpoint. Configure one.`)
      }
      const answers = await queryDNSLink(parsed.domain, options.dohEndpoint, { signal: options.signal, timeoutMs: options.timeoutMs, fetch: components.fetch })
      const first = answers.find(a => a.value.startsWith('/ipfs/') || a.value.startsWith('/ipns/'))
      if (first === undefined) {
        throw new DNSLinkNotFoundError(`No DNSLink record was found at _dnslink.${parsed.domain}. Add a TXT record "dnslink=/ipfs/<cid>" there, or check the domain.`)
      }
      emit(options, 'ipns:resolve:dnslink', { domain: parsed.domain, value: first.value })
      steps.push({ kind: 'dnslink', domain: parsed.domain, value: first.value, ttlMs: first.ttlSeconds === undefined ? undefined : first.ttlSeconds * 1000 })
      value = first.value
    }
    if (!value.startsWith('/ipns/')) {
      const head = steps[0]
      const ttls = steps.map(s => s.kind === 'ipns' ? s.record.ttlMs : s.ttlMs).filter((t): t is number => t !== undefined)
      return {
        value: joinPath(value, tail),
        sequence: head?.kind === 'ipns' ? head.record.sequence : undefined,
        validity: head?.kind === 'ipns' ? head.record.validity : undefined,
        expiresAt: head?.kind === 'ipns' ? head.record.expiresAt : undefined,
        ttlMs: ttls.length > 0 ? Math.min(...ttls) : undefined,
        steps
      }
    }
    current = value
  }
  throw new RecordNotFoundError(`Resolving ${nameOrPath} took more than ${maxDepth} hops (a loop of /ipns/ or DNSLink records?). Check the records.`)
}
