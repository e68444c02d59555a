/** The bench data, identical to what bench/restic/suite.ts writes for real restic. */
const MiB = 1024 * 1024
const WORDS = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in', 'repository']
/** Each word followed by a space, back to back, with offsets and lengths (one flat table is fast to index). */
const FLAT = new TextEncoder().encode(WORDS.map(w => w + ' ').join(''))
const OFFSET = new Int32Array(16)
const LENGTH = new Int32Array(16)
for (let i = 0, o = 0; i < 16; o += (WORDS[i] as string).length + 1, i++) { OFFSET[i] = o; LENGTH[i] = (WORDS[i] as string).length + 1 }

/** words[r[j] % 16] joined by spaces, until 1 MiB is filled (`out` has 16 bytes of slack). */
function fillText (r: Uint8Array, out: Uint8Array): number {
  let pos = 0
  for (let j = 0; pos < MiB; j++) {
    const k = (r[j] as number) & 15
    const o = OFFSET[k] as number
    const n = LENGTH[k] as number
    for (let c = 0; c < n; c++) out[pos + c] = FLAT[o + c] as number
    pos += n
  }
  // join(' ') has no trailing space: when the words end exactly at 1 MiB, the text is 1 byte shorter.
  return pos === MiB ? MiB - 1 : MiB
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
    yield out.subarray(0, fillText(r, out))
  }
}

