/**
 * The entries of a `ZipSink` (./restic-sinks.ts) written as a tar instead of a zip: USTAR or PAX
 * headers as Go's archive/tar writes them (restic's own `dump` format, ../restic/util/go-tar.ts),
 * then each file's content as it streams, padded to whole blocks. A file whose content is not the
 * size its header announced would make a corrupt tar: the stream fails instead.
 */
import { binary, padded, TAR_END, tarHeader } from '../restic/util/go-tar.js'
import { InvalidInputError } from '../core/errors.js'
import type { ZipEntry } from './restic-sinks.js'

const utf8 = new TextEncoder()

export async function * tarFromEntries (entries: AsyncIterable<ZipEntry>): AsyncGenerator<Uint8Array> {
  for await (const e of entries) {
    const dir = e.name.endsWith('/')
    const size = dir ? 0 : e.tar?.size ?? 0
    yield tarHeader({
      name: binary(utf8.encode(e.name)),
      linkname: '',
      uname: '',
      gname: '',
      mode: (e.tar?.mode ?? (dir ? 0o755 : 0o644)) & 0o777,
      uid: 0,
      gid: 0,
      size,
      mtimeNs: BigInt(e.lastModified.getTime()) * 1_000_000n,
      typeflag: dir ? '5' : '0'
    })
    if (dir) continue
    let written = 0
    // Read to the end even past the size (the restorer waits for the whole file), yield no more than it.
    for await (const piece of e.input ?? []) {
      if (written + piece.length <= size) yield piece
      written += piece.length
    }
    if (written !== size) throw new InvalidInputError(`${e.name} holds ${written > size ? 'more' : 'fewer'} bytes than the snapshot says (${size}); the tar would be corrupt. Run Check (read all data) on the repository.`)
    if (padded(size) > size) yield new Uint8Array(padded(size) - size)
  }
  yield TAR_END
}
