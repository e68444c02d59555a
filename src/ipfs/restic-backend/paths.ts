/** Small helpers of the IPFS backend: paths within the repository, "not found" errors, CIDs, bounded maps. */
import { CID } from 'multiformats/cid'

export function parentOf (path: string): { dir: string, name: string } {
  const i = path.lastIndexOf('/')
  return i < 0 ? { dir: '', name: path } : { dir: path.slice(0, i), name: path.slice(i + 1) }
}

export function errName (err: unknown): string {
  return (err as { name?: string } | null)?.name ?? ''
}

export function isMissing (err: unknown): boolean {
  const n = errName(err)
  const code = (err as { code?: string } | null)?.code
  return n === 'DoesNotExistError' || n === 'NotFoundError' || code === 'ERR_NOT_FOUND'
}

export function toCID (value: CID | string): CID {
  return typeof value === 'string' ? CID.parse(value) : value
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R> (items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
