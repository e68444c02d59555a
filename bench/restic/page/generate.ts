/** The bench data, identical to what bench/restic/suite.ts writes for real restic. */
const MiB = 1024 * 1024
const WORDS = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in', 'repository'].map(w => new TextEncoder().encode(w))

/** words[r[j] % 16] joined by spaces, until 1 MiB is filled (a plain function, so it is optimised). */
function fillText (r: Uint8Array, out: Uint8Array): void {
  let pos = 0
  for (let j = 0; pos < MiB; j++) {
    if (j > 0) out[pos++] = 0x20
    const w = WORDS[(r[j] as number) & 15] as Uint8Array
    for (let c = 0; c < w.length; c++) out[pos++] = w[c] as number
  }
}

/** AES-256-CTR keystream (key SHA-256(kind), IV 0), MiB by MiB: what the suite's writeData uses. */
export async function * generate (kind: 'random' | 'text', mib: number): AsyncGenerator<Uint8Array> {
  const raw = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(kind))
  const key = await crypto.subtle.importKey('raw', raw, 'AES-CTR', false, ['encrypt'])
  const zeros = new Uint8Array(MiB)
  for (let i = 0; i < mib; i++) {
    const counter = new Uint8Array(16)
    new DataView(counter.buffer).setBigUint64(8, BigInt(i) * 65536n)
    const r = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CTR', counter, length: 128 }, key, zeros))
    if (kind === 'random') { yield r; continue }
    // words[r[j] % 16] joined by spaces, cut at 1 MiB
    const out = new Uint8Array(MiB + 16)
    fillText(r, out)
    yield out.subarray(0, MiB)
  }
}

