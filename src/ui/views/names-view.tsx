import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { ErrorBox } from '../components/error-box.js'
import { copyText, keeperTitle, sandboxedContentUrl, saveBytes } from '../../app/app.js'
import { BackgroundKeepAlive, PublishForm } from './names-publish.js'
import type { App, InspectOutcome, RecordPushResult, ResolveOutcome } from '../../app/app.js'

/** A link to the content, only where the service worker serves it sandboxed (see sandboxedContentUrl). */
function OpenLink ({ path }: { path: string }) {
  const url = sandboxedContentUrl(path)
  if (url === undefined) return null
  return <> <a href={url} target="_blank" rel="noopener noreferrer">Open</a></>
}

function when (ms: number | undefined): string {
  return ms === undefined ? '–' : new Date(ms).toLocaleString()
}

export function NamesView ({ app }: { app: App }) {
  const rows = useStore(app.names.rows)
  const [newKey, setNewKey] = useState('')
  const create = useAction(async () => { await app.names.create(newKey.trim()); setNewKey('') })
  const importKey = useAction(async (f: File) => { await app.names.importKey(f.name.replace(/\.key$/, ''), new Uint8Array(await f.arrayBuffer())) })
  const rowAction = useAction(async (fn: () => Promise<void>) => { await fn() })
  // A name's signed record handed to every keeper that holds records, on demand (publishing does it too).
  const [handed, setHanded] = useState<{ k51: string, results: RecordPushResult[] } | undefined>(undefined)
  const hand = useAction(async (k51: string) => {
    const record = await app.names.exportRecord(k51)
    setHanded({ k51, results: [] })
    const results = await app.keepers.pushRecordToKeepers(k51, record, { onStatus: (r) => { setHanded({ k51, results: r }) } })
    setHanded({ k51, results })
  })
  useEffect(() => { void app.names.refresh() }, [app])

  return (
    <section aria-labelledby="names-title">
      <h2 id="names-title">Names (IPNS)</h2>
      <p class="muted">Each key is a name you can point at any CID. Keys are encrypted with a key this browser keeps and never reveals. Published names are republished while Cairn is open, handed to the keepers in Settings, and, in the installed app, sent again in the background.</p>

      <div class="scroll-x">
      <table data-testid="keys">
        <thead><tr><th>Key</th><th>Name</th><th>Value</th><th>Expires</th><th /></tr></thead>
        <tbody>
          {rows.map(r => (
            <tr key={r.k51} data-key={r.keyName} data-name={r.k51}>
              <td>{r.keyName}</td>
              <td><code title={r.bafz}>{r.k51}</code><br /><small class="muted"><code>{r.bafz}</code></small></td>
              <td>{r.value !== undefined ? <><code>{r.value}</code><br /><small class="muted">sequence {r.sequence}</small></> : <span class="muted">not published</span>}</td>
              <td>{r.expiresAt !== undefined ? <span class={r.expiresSoon ? 'warning' : ''} data-testid={r.expiresSoon ? 'expires-soon' : undefined}>{when(r.expiresAt)}{r.expiresSoon ? ' (expires soon: republish)' : ''}</span> : '–'}</td>
              <td class="row wrap">
                <button type="button" class="secondary" onClick={() => { void copyText(`/ipns/${r.k51}`) }}>Copy</button>
                <button type="button" class="secondary" onClick={() => { void rowAction.run(async () => { await saveBytes(`${r.keyName}.key`, await app.names.exportKey(r.keyName)) }) }}>Export key</button>
                {r.value !== undefined && <button type="button" class="secondary" onClick={() => { void rowAction.run(async () => { await saveBytes(`${r.k51}.ipns-record`, await app.names.exportRecord(r.k51)) }) }}>Export record</button>}
                {r.value !== undefined && <button type="button" class="secondary" data-testid="hand-record" disabled={hand.busy} onClick={() => { void hand.run(r.k51) }}>{hand.busy && handed?.k51 === r.k51 ? 'Handing…' : 'Hand to keepers'}</button>}
                <button type="button" class="secondary" onClick={() => { const to = prompt(`Rename key "${r.keyName}" to:`, r.keyName); if (to !== null && to !== r.keyName) void rowAction.run(async () => app.names.rename(r.keyName, to.trim())) }}>Rename</button>
                <button type="button" class="danger" onClick={() => { if (confirm(`Delete key "${r.keyName}"? Without an exported copy, the name ${r.k51} can never be updated again.`)) void rowAction.run(async () => app.names.remove(r.keyName)) }}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {rows.length === 0 && <p class="muted">No keys yet.</p>}
      <ErrorBox message={rowAction.error} onClose={rowAction.clear} />
      <ErrorBox message={hand.error} onClose={hand.clear} />
      {handed !== undefined && (
        <div class="card" data-testid="hand-results">
          <p>The record of <code>{handed.k51}</code>{handed.results.length === 0 && !hand.busy ? ' went to no keeper: add a Kubo keeper in Settings, or connect to a peer that pins.' : ':'}</p>
          <ul class="push-statuses">
            {handed.results.map(r => <li key={r.keeper.id} data-keeper={r.keeper.id} data-ok={String(r.ok)}><span class={`kept-state ${r.ok ? 'kept-pinned' : r.message === 'Sending…' ? 'kept-pinning' : 'kept-failed'}`}>{r.ok ? 'holds it' : r.message === 'Sending…' ? 'sending' : 'failed'}</span> {keeperTitle(r.keeper)}{r.ok ? '' : `: ${r.message}`}</li>)}
          </ul>
          {!hand.busy && handed.results.some(r => !r.ok) && <button type="button" class="secondary small" onClick={() => { void hand.run(handed.k51) }}>Retry</button>}
        </div>
      )}

      <form class="row wrap" onSubmit={(e) => { e.preventDefault(); void create.run() }}>
        <input class="grow" style={{ minWidth: '12rem', width: 'auto' }} name="keyName" value={newKey} placeholder="New key name, e.g. my-site" onInput={(e) => { setNewKey((e.target as HTMLInputElement).value) }} />
        <button type="submit" class="nowrap" disabled={create.busy || newKey.trim() === ''}>Create key</button>
        <label class="button secondary nowrap">Import key<input type="file" hidden onChange={(e) => {
          const t = e.target as HTMLInputElement
          const f = t.files?.[0]
          t.value = ''
          if (f !== undefined) void importKey.run(f)
        }} /></label>
      </form>
      <ErrorBox message={create.error} onClose={create.clear} />
      <ErrorBox message={importKey.error} onClose={importKey.clear} />

      <PublishForm app={app} keys={rows.map(r => r.keyName)} />
      <BackgroundKeepAlive app={app} />
      <ResolveForm app={app} />
      <Inspector app={app} />
    </section>
  )
}

/** `#/names/resolve/<name>` (from an ipns:// link) pre-fills and runs a resolve. */
function initialName (): string {
  const m = /^#\/names\/resolve\/(.+)$/.exec(location.hash)
  try { return m === null ? '' : decodeURIComponent(m[1]!) } catch { return '' }
}

function ResolveForm ({ app }: { app: App }) {
  const [name, setName] = useState(initialName())
  const [result, setResult] = useState<ResolveOutcome | undefined>(undefined)
  const res = useAction(async (n: string = name) => { setResult(undefined); setResult(await app.names.resolve(n.trim(), { signal: AbortSignal.timeout(30_000) })) })
  useEffect(() => { if (name !== '') void res.run(name) }, [])
  return (
    <form class="card" onSubmit={(e) => { e.preventDefault(); void res.run() }} data-testid="resolve-form">
      <h3>Resolve</h3>
      <div class="row">
        <input class="grow" name="name" value={name} placeholder="k51…, bafz…, /ipns/<name>/path or /ipns/example.org" onInput={(e) => { setName((e.target as HTMLInputElement).value) }} />
        <button type="submit" disabled={res.busy || name.trim() === ''}>{res.busy ? 'Resolving…' : 'Resolve'}</button>
      </div>
      <ErrorBox message={res.error} onClose={res.clear} />
      {result !== undefined && (
        <dl class="facts" data-testid="resolve-result">
          <dt>Value</dt><dd><code data-testid="resolved-value">{result.value}</code>{result.value.startsWith('/ipfs/') && <OpenLink path={result.value} />}</dd>
          <dt>Sequence</dt><dd>{result.sequence ?? '–'}</dd>
          <dt>Valid until</dt><dd>{result.validity ?? '–'}</dd>
          <dt>TTL</dt><dd>{result.ttlMs !== undefined ? `${Math.round(result.ttlMs / 1000)} s` : '–'}</dd>
        </dl>
      )}
    </form>
  )
}

function Inspector ({ app }: { app: App }) {
  const [name, setName] = useState('')
  const [verdict, setVerdict] = useState<InspectOutcome | undefined>(undefined)
  const check = useAction(async (bytes: Uint8Array, fileName: string) => {
    const guess = /^(k51|bafz|12D3|Qm)[a-z0-9]+(?=\.ipns-record$)/i.exec(fileName)?.[0]
    setVerdict(await app.names.inspect(bytes, name.trim() !== '' ? name.trim() : guess))
  })
  return (
    <div class="card" data-testid="inspector">
      <h3>Inspect a record</h3>
      <p class="muted">Upload an <code>.ipns-record</code> file, or paste its bytes as base64, to check its signature, validity and value.</p>
      <div class="row wrap">
        <input name="inspect-name" value={name} placeholder="Expected name (optional)" onInput={(e) => { setName((e.target as HTMLInputElement).value) }} />
        <label class="button secondary">Upload record<input type="file" hidden data-testid="inspect-file" onChange={(e) => {
          const t = e.target as HTMLInputElement
          const f = t.files?.[0]
          t.value = ''
          if (f !== undefined) void f.arrayBuffer().then(async b => check.run(new Uint8Array(b), f.name))
        }} /></label>
        <input class="grow" name="inspect-base64" placeholder="…or paste base64 and press Enter" onKeyDown={(e) => {
          if (e.key !== 'Enter') return
          const text = (e.target as HTMLInputElement).value.trim()
          try {
            void check.run(Uint8Array.from(atob(text), c => c.charCodeAt(0)), '')
          } catch {
            setVerdict({ valid: false, reason: 'malformed', message: 'That is not base64. Upload the record file instead.' })
          }
        }} />
      </div>
      <ErrorBox message={check.error} onClose={check.clear} />
      {verdict !== undefined && (verdict.valid
        ? <dl class="facts ok" data-testid="verdict" data-valid="true"><dt>Verdict</dt><dd>valid</dd><dt>Name</dt><dd><code>{verdict.name}</code></dd><dt>Value</dt><dd><code>{verdict.value}</code></dd><dt>Sequence</dt><dd>{verdict.sequence}</dd><dt>Valid until</dt><dd>{verdict.validity}</dd><dt>TTL</dt><dd>{Math.round(verdict.ttlMs / 1000)} s</dd><dt>Key</dt><dd>{verdict.keyType}</dd></dl>
        : <p class="error" data-testid="verdict" data-valid="false">Invalid record ({verdict.reason}): {verdict.message}</p>)}
    </div>
  )
}
