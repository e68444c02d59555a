/** The per-node pins lock: adds share it, a GC waits for them and then runs alone, a cancelled wait gives up. */
import { describe, expect, it } from 'vitest'
import { withExclusiveLock, withSharedLock } from '../../../src/ipfs/pins/lock.js'

function gate (): { open: () => void, wait: Promise<void> } {
  let open = (): void => {}
  const wait = new Promise<void>(resolve => { open = resolve })
  return { open, wait }
}

describe('pins lock', () => {
  it('shared holders run together; the exclusive one waits for them, and later shared ones wait for it', async () => {
    const node = {}
    const log: string[] = []
    const a = gate()
    const b = gate()
    const s1 = withSharedLock(node, undefined, async () => { log.push('s1 in'); await a.wait; log.push('s1 out') })
    const s2 = withSharedLock(node, undefined, async () => { log.push('s2 in'); await b.wait; log.push('s2 out') })
    const x = withExclusiveLock(node, undefined, async () => { log.push('x in'); log.push('x out') })
    const s3 = withSharedLock(node, undefined, async () => { log.push('s3 in') })
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(log).toEqual(['s1 in', 's2 in'])
    a.open()
    b.open()
    await Promise.all([s1, s2, x, s3])
    expect(log).toEqual(['s1 in', 's2 in', 's1 out', 's2 out', 'x in', 'x out', 's3 in'])
  })

  it('locks of two nodes are independent', async () => {
    const held = gate()
    const one = withExclusiveLock({}, undefined, async () => { await held.wait })
    let ran = false
    await withExclusiveLock({}, undefined, async () => { ran = true })
    expect(ran).toBe(true)
    held.open()
    await one
  })

  it('a cancelled wait gives up without taking the lock', async () => {
    const node = {}
    const held = gate()
    const holder = withSharedLock(node, undefined, async () => { await held.wait })
    const controller = new AbortController()
    let ran = false
    const waiting = withExclusiveLock(node, controller.signal, async () => { ran = true })
    controller.abort(new Error('user cancelled'))
    await expect(waiting).rejects.toThrow()
    held.open()
    await holder
    expect(ran).toBe(false)
    // The lock is still usable.
    await withExclusiveLock(node, undefined, async () => {})
  })
})
