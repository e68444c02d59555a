import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import type { Command, CommandIO } from '../command.js'
import type { KeyStore, NameStateStore, PublishComponents, RecordNetwork, RecordVerdict } from '../../../ipfs/ipns/index.js'

const USAGE = `Usage: cairn ipns <subcommand> [options]

Records:
  verify <record-file> [--name <name>] [--json]
      Check an IPNS record file (application/vnd.ipfs.ipns-record bytes). Prints its value when
      valid; otherwise exits 1 and names the reason. Without --name, a file named
      <name>.ipns-record is checked against that name.

Publishing and resolving:
  publish --key <key> (--routing <url> | --peer <multiaddr>)… [--lifetime 48h] [--ttl 5m]
          [--sequence <n>] [--timeout 30s] <cid-or-path>
      Sign a record for <cid-or-path> with a stored key and PUT it to each Delegated Routing
      V1 HTTP endpoint, and send it over libp2p (Kademlia PUT_VALUE) to each --peer that holds
      records (a DHT server, or the local network peer). Sequence numbers only go up. Exits 1
      unless every target accepted it.
  republish --key <key> (--routing <url> | --peer <multiaddr>)… [--lifetime 48h] [--ttl 5m]
      Re-sign the last published value with a higher sequence and a fresh lifetime.
  export-record <name> --output <file>
      Write the newest signed record known for <name> (published or resolved here) to a file.
  push (--routing <url> | --peer <multiaddr>)… [--name <name>] <record-file>
      Carry a signed record, unchanged, to routers and peers (keep someone's name alive without
      the key).
  resolve (--routing <url> | --peer <multiaddr>)… [--doh <url>] [--json] <name>
      Resolve k51…, bafz…, /ipns/<name>[/path] (or a DNSLink domain, with --doh) and print the
      value. Refuses a rollback to a lower sequence than one seen before.

Keys (stored encrypted under $CAIRN_HOME, default ~/.cairn):
  key gen <key>                    create an Ed25519 key
  key list                         list keys with their names (k51…, bafz…)
  key rm <key>                     delete a key
  key rename <old> <new>           rename a key
  key export <key> --output <file> write the private key (libp2p protobuf, UNENCRYPTED)
  key import <key> <file>          import a libp2p protobuf private key

The passphrase that encrypts keys comes from --pass-file <file> or $CAIRN_KEY_PASSPHRASE.
`

interface Context {
  keys: KeyStore
  state: NameStateStore
  close: () => Promise<void>
}

async function readPassphrase (passFile: string | undefined, io: CommandIO): Promise<string | undefined> {
  if (passFile !== undefined) {
    const { readFile } = await import('node:fs/promises')
    const { resolve } = await import('node:path')
    const text = (await readFile(resolve(io.cwd, passFile), 'utf8')).replace(/\r?\n$/, '')
    if (text === '') throw new InvalidInputError(`The passphrase file ${passFile} is empty. Put the passphrase on its first line.`)
    return text
  }
  const env = io.env.CAIRN_KEY_PASSPHRASE
  return env === undefined || env === '' ? undefined : env
}

async function openContext (io: CommandIO, passFile: string | undefined): Promise<Context> {
  const { makeDirs } = await import('../../files/mkdirs.js')
  const { homedir } = await import('node:os')
  const { join, resolve } = await import('node:path')
  const { FsDatastore } = await import('datastore-fs')
  const { KeyStore, NameStateStore } = await import('../../../ipfs/ipns/index.js')
  const home = resolve(io.cwd, io.env.CAIRN_HOME ?? join(homedir(), '.cairn'))
  const dir = join(home, 'ipns')
  await makeDirs(dir, 0o700)
  const datastore = new FsDatastore(dir)
  await datastore.open()
  const passphrase = await readPassphrase(passFile, io)
  const logN = io.env.CAIRN_SCRYPT_LOG_N === undefined ? undefined : Number(io.env.CAIRN_SCRYPT_LOG_N)
  return {
    keys: new KeyStore({ datastore, protection: passphrase === undefined ? undefined : { passphrase }, scryptLogN: logN }),
    state: new NameStateStore(datastore),
    close: async () => { await datastore.close() }
  }
}

function describeVerdict (v: RecordVerdict): Record<string, unknown> {
  if (!v.valid) return { valid: false, reason: v.reason, error: v.error.name, message: v.message }
  return {
    valid: true,
    name: v.name.k51,
    value: v.value,
    sequence: v.sequence.toString(),
    validity: v.validity,
    ttlMs: v.ttlMs,
    keyType: v.keyType,
    v1Compatible: v.v1Compatible
  }
}

async function verify (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, json: { type: 'boolean' } } })
  const file = positionals[0]
  if (file === undefined || positionals.length > 1) {
    io.err('cairn ipns verify: give exactly one record file. Run `cairn ipns --help`.\n')
    return 2
  }
  const { readFile } = await import('node:fs/promises')
  const { basename, resolve } = await import('node:path')
  const { inspectRecord, parseName } = await import('../../../ipfs/ipns/index.js')
  const bytes = new Uint8Array(await readFile(resolve(io.cwd, file)))
  let name = values.name
  if (name === undefined) {
    const m = /^(.+)\.ipns-record$/.exec(basename(file))
    if (m?.[1] !== undefined) {
      try {
        name = parseName(m[1]).k51
      } catch {
        // not a name: check without one (works for records that embed their key)
      }
    }
  }
  const verdict = await inspectRecord(bytes, { name })
  if (values.json === true) {
    io.out(JSON.stringify(describeVerdict(verdict)) + '\n')
    return verdict.valid ? 0 : 1
  }
  if (!verdict.valid) {
    io.err(`cairn: invalid record (${verdict.reason}, ${verdict.error.name}): ${verdict.message}\n`)
    return 1
  }
  io.out(verdict.value + '\n')
  io.err(`valid: ${verdict.name.k51}, sequence ${verdict.sequence}, valid until ${verdict.validity}, ttl ${verdict.ttlMs} ms, ${verdict.keyType} key\n`)
  return 0
}

/** Connects to the --peer addresses (if any) for the duration of `fn`. */
async function withPeers<T> (peers: string[] | undefined, io: CommandIO, fn: (libp2p: RecordNetwork | undefined) => Promise<T>): Promise<T> {
  if (peers === undefined || peers.length === 0) return await fn(undefined)
  const { connectRecordPeers } = await import('../../ipns-peers.js')
  const connection = await connectRecordPeers(peers, { signal: io.signal })
  try {
    return await fn(connection.libp2p)
  } finally {
    await connection.close()
  }
}

function hasTarget (values: { routing?: string[] | undefined, peer?: string[] | undefined }): boolean {
  return (values.routing ?? []).length > 0 || (values.peer ?? []).length > 0
}

const PUBLISH_OPTIONS = {
  key: { type: 'string' },
  routing: { type: 'string', multiple: true },
  peer: { type: 'string', multiple: true },
  lifetime: { type: 'string' },
  ttl: { type: 'string' },
  sequence: { type: 'string' },
  timeout: { type: 'string' },
  'pass-file': { type: 'string' }
} as const

async function publishCommand (args: string[], io: CommandIO, again: boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: PUBLISH_OPTIONS })
  const sub = again ? 'republish' : 'publish'
  if (values.key === undefined || !hasTarget(values) || positionals.length !== (again ? 0 : 1)) {
    io.err(`cairn ipns ${sub}: give --key, at least one --routing URL or --peer address${again ? '' : ' and what to publish'}. Run \`cairn ipns --help\`.\n`)
    return 2
  }
  const ipns = await import('../../../ipfs/ipns/index.js')
  let sequence: bigint | undefined
  if (values.sequence !== undefined) {
    if (!/^\d+$/.test(values.sequence)) throw new InvalidInputError(`--sequence must be a whole number, not "${values.sequence}".`)
    sequence = BigInt(values.sequence)
  }
  const ctx = await openContext(io, values['pass-file'])
  try {
    return await withPeers(values.peer, io, async (libp2p) => await publishWith({ keys: ctx.keys, state: ctx.state, routers: values.routing ?? [], libp2p }))
  } finally {
    await ctx.close()
  }

  async function publishWith (components: PublishComponents): Promise<number> {
    const options = {
      signal: io.signal,
      lifetimeMs: values.lifetime === undefined ? undefined : ipns.parseDuration(values.lifetime),
      ttlMs: values.ttl === undefined ? undefined : ipns.parseDuration(values.ttl),
      timeoutMs: values.timeout === undefined ? undefined : ipns.parseDuration(values.timeout),
      sequence
    }
    const result = again
      ? await ipns.republish(components, values.key ?? '', options)
      : await ipns.publish(components, values.key ?? '', positionals[0] ?? '', options)
    io.out(`${result.name.k51}\n`)
    io.err(`published ${result.value} as ${result.name.k51} (${result.name.bafz}), sequence ${result.sequence}\n`)
    for (const r of result.results) {
      io.err(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.target}${r.status !== undefined ? ` (${r.status})` : ''}${r.error !== undefined ? `: ${r.error}` : ''}\n`)
    }
    return result.results.every(r => r.ok) ? 0 : 1
  }
}

async function resolveCommand (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { routing: { type: 'string', multiple: true }, peer: { type: 'string', multiple: true }, doh: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } }
  })
  const name = positionals[0]
  if (name === undefined || positionals.length > 1 || (!hasTarget(values) && values.doh === undefined)) {
    io.err('cairn ipns resolve: give one name and at least one --routing URL or --peer address (or --doh for DNSLink). Run `cairn ipns --help`.\n')
    return 2
  }
  const ipns = await import('../../../ipfs/ipns/index.js')
  const ctx = await openContext(io, undefined)
  try {
    const result = await withPeers(values.peer, io, async (libp2p) => await ipns.resolve({ state: ctx.state, routers: values.routing ?? [], libp2p }, name, {
      signal: io.signal,
      dohEndpoint: values.doh,
      timeoutMs: values.timeout === undefined ? undefined : ipns.parseDuration(values.timeout)
    }))
    if (values.json === true) {
      io.out(JSON.stringify({
        value: result.value,
        sequence: result.sequence?.toString(),
        validity: result.validity,
        ttlMs: result.ttlMs
      }) + '\n')
    } else {
      io.out(result.value + '\n')
      if (result.sequence !== undefined) io.err(`sequence ${result.sequence}, valid until ${result.validity ?? '?'}, ttl ${result.ttlMs ?? '?'} ms\n`)
    }
    return 0
  } finally {
    await ctx.close()
  }
}

async function exportRecordCommand (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } })
  if (positionals.length !== 1 || values.output === undefined) {
    io.err('cairn ipns export-record: give one name and --output <file>. Run `cairn ipns --help`.\n')
    return 2
  }
  const { writeFile } = await import('node:fs/promises')
  const { resolve } = await import('node:path')
  const ipns = await import('../../../ipfs/ipns/index.js')
  const ctx = await openContext(io, undefined)
  try {
    const bytes = await ipns.exportRecord(ctx.state, positionals[0] ?? '', { signal: io.signal })
    await writeFile(resolve(io.cwd, values.output), bytes)
    io.err(`wrote ${bytes.byteLength} bytes to ${values.output}\n`)
    return 0
  } finally {
    await ctx.close()
  }
}

async function pushCommand (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { routing: { type: 'string', multiple: true }, peer: { type: 'string', multiple: true }, name: { type: 'string' }, timeout: { type: 'string' } }
  })
  if (positionals.length !== 1 || !hasTarget(values)) {
    io.err('cairn ipns push: give one record file and at least one --routing URL or --peer address. Run `cairn ipns --help`.\n')
    return 2
  }
  const { readFile } = await import('node:fs/promises')
  const { resolve } = await import('node:path')
  const ipns = await import('../../../ipfs/ipns/index.js')
  const bytes = new Uint8Array(await readFile(resolve(io.cwd, positionals[0] ?? '')))
  const ctx = await openContext(io, undefined)
  try {
    const result = await withPeers(values.peer, io, async (libp2p) => await ipns.pushRecord({ state: ctx.state, routers: values.routing ?? [], libp2p }, bytes, {
      signal: io.signal,
      name: values.name,
      timeoutMs: values.timeout === undefined ? undefined : ipns.parseDuration(values.timeout)
    }))
    io.out(`${result.name.k51}\n`)
    io.err(`pushed sequence ${result.sequence}\n`)
    for (const r of result.results) {
      io.err(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.target}${r.status !== undefined ? ` (${r.status})` : ''}${r.error !== undefined ? `: ${r.error}` : ''}\n`)
    }
    return result.results.every(r => r.ok) ? 0 : 1
  } finally {
    await ctx.close()
  }
}

async function keyCommand (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { output: { type: 'string', short: 'o' }, 'pass-file': { type: 'string' } } })
  const [action, a, b] = positionals
  const need = (n: number): boolean => {
    if (positionals.length - 1 === n) return true
    io.err(`cairn ipns key ${action ?? ''}: wrong number of arguments. Run \`cairn ipns --help\`.\n`)
    return false
  }
  const ctx = await openContext(io, values['pass-file'])
  try {
    const show = (k: { keyName: string, name: { k51: string, bafz: string }, type: string }): string => `${k.keyName}\t${k.name.k51}\t${k.name.bafz}\t${k.type}\n`
    switch (action) {
      case 'gen': {
        if (!need(1)) return 2
        io.out(show(await ctx.keys.generate(a ?? '', { signal: io.signal })))
        return 0
      }
      case 'list': {
        if (!need(0)) return 2
        for (const k of await ctx.keys.list({ signal: io.signal })) io.out(show(k))
        return 0
      }
      case 'rm': {
        if (!need(1)) return 2
        await ctx.keys.remove(a ?? '', { signal: io.signal })
        io.err(`removed key "${a ?? ''}"\n`)
        return 0
      }
      case 'rename': {
        if (!need(2)) return 2
        io.out(show(await ctx.keys.rename(a ?? '', b ?? '', { signal: io.signal })))
        return 0
      }
      case 'export': {
        if (!need(1)) return 2
        if (values.output === undefined) {
          io.err('cairn ipns key export: give --output <file> (the key is binary and unencrypted).\n')
          return 2
        }
        const { writeFile } = await import('node:fs/promises')
        const { resolve } = await import('node:path')
        await writeFile(resolve(io.cwd, values.output), await ctx.keys.exportKey(a ?? '', { signal: io.signal }), { mode: 0o600, flag: 'wx' })
        io.err(`wrote the UNENCRYPTED private key of "${a ?? ''}" to ${values.output}; keep it safe\n`)
        return 0
      }
      case 'import': {
        if (!need(2)) return 2
        const { readFile } = await import('node:fs/promises')
        const { resolve } = await import('node:path')
        const bytes = new Uint8Array(await readFile(resolve(io.cwd, b ?? '')))
        io.out(show(await ctx.keys.importKey(a ?? '', bytes, { signal: io.signal })))
        return 0
      }
      default:
        io.err(`cairn ipns key: unknown action "${action ?? ''}". Use gen, list, rm, rename, export or import.\n`)
        return 2
    }
  } finally {
    await ctx.close()
  }
}

const command: Command = {
  name: 'ipns',
  summary: 'Verify IPNS records, publish and resolve names, manage signing keys.',
  usage: USAGE,
  async run (argv, io) {
    const [sub, ...rest] = argv
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(USAGE)
      return 0
    }
    switch (sub) {
      case 'verify': return await verify(rest, io)
      case 'publish': return await publishCommand(rest, io, false)
      case 'republish': return await publishCommand(rest, io, true)
      case 'resolve': return await resolveCommand(rest, io)
      case 'export-record': return await exportRecordCommand(rest, io)
      case 'push': return await pushCommand(rest, io)
      case 'key': return await keyCommand(rest, io)
      default:
        io.err(sub === undefined ? USAGE : `cairn ipns: unknown subcommand "${sub}". Run \`cairn ipns --help\`.\n`)
        return 2
    }
  }
}

export default command
