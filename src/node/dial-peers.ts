/** Dialling the `--peer` addresses of a CLI command. */
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidInputError } from '../core/errors.js'
import { NetworkUnreachableError } from './restic-ipfs/errors.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The `--peer` addresses as multiaddrs; `InvalidInputError` naming the first bad one. Check them
 * before they reach libp2p (bootstrap lists, relays), whose own errors are stack traces.
 */
export function parsePeerAddrs (addrs: string[]): Multiaddr[] {
  return addrs.map((a) => {
    try {
      return multiaddr(a)
    } catch (err) {
      throw new InvalidInputError(`--peer "${a}" is not a multiaddr (${(err as Error).message}). Give e.g. /ip4/127.0.0.1/tcp/4003/ws/p2p/12D3Koo….`, { cause: err })
    }
  })
}

/**
 * Dials every address (15 s each, at once); resolves with how many were reached, and throws
 * `NetworkUnreachableError` naming each failure when none was. No addresses: resolves 0.
 */
export async function dialPeers (libp2p: Pick<Libp2p, 'dial'>, addrs: string[], options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
  const parsed = parsePeerAddrs(addrs)
  const { signal } = options
  const dials = await Promise.allSettled(parsed.map(async ma => await libp2p.dial(ma, { signal: signal === undefined ? AbortSignal.timeout(15_000) : AbortSignal.any([signal, AbortSignal.timeout(15_000)]) })))
  const reached = dials.filter(d => d.status === 'fulfilled').length
  if (addrs.length > 0 && reached === 0) {
    const why = dials.map((d, i) => `${addrs[i] ?? ''}: ${d.status === 'rejected' ? (d.reason as Error).message : ''}`).join('; ')
    throw new NetworkUnreachableError(`None of the given peers could be reached (${why}). Check the --peer addresses and that those peers are running.`)
  }
  return reached
}
