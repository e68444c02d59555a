import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { ErrorBox } from '../components/error-box.js'
import type { App, PublishOutcome } from '../../app/app.js'

/** Record lifetimes offered on publish: how long the signature stays valid. */
const LIFETIMES = [
  { value: '48h', label: '48 hours (default)', words: '48 hours', adjective: '48-hour' },
  { value: '168h', label: '7 days', words: '7 days', adjective: '7-day' },
  { value: '720h', label: '30 days', words: '30 days', adjective: '30-day' },
  { value: '8760h', label: '1 year', words: '1 year', adjective: 'one-year' }
] as const

function when (ms: number): string { return new Date(ms).toLocaleString() }

/** `2 s`, `5 min`, `1 h 30 min`: a TTL in words. */
function span (ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const h = Math.floor(s / 3600)
  const m = Math.round((s % 3600) / 60)
  return [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter(x => x !== '').join(' ')
}

function LifetimeAdvice ({ lifetime }: { lifetime: string }) {
  const choice = LIFETIMES.find(l => l.value === lifetime) ?? LIFETIMES[0]
  if (choice.value === '48h') {
    return <p class="muted" data-testid="lifetime-advice" data-long="false">The record stops working 48 hours after it is signed. Cairn signs it again while it is open; otherwise a keeper or another device must republish it within that time, or the name stops resolving.</p>
  }
  return (
    <p class="warning" data-testid="lifetime-advice" data-long="true">
      A {choice.adjective} lifetime keeps the name working for {choice.words} even if no device or keeper republishes it. The price: anyone holding this record can hand it out again until it expires, so if you later point the name elsewhere, an old copy can make it point back to this value for up to {choice.words}. Choose it for names that rarely move.
    </p>
  )
}

function via (target: string): string { return target.startsWith('/p2p/') || target === 'libp2p' ? 'libp2p' : 'http' }

function PublishResult ({ result }: { result: PublishOutcome }) {
  return (
    <>
      <div role="status" data-testid="publish-result">
        <p>Published <code>{result.name}</code> → <code>{result.value}</code> (sequence {result.sequence})</p>
        <p data-testid="published-validity" data-expires-at={String(result.expiresAt)} data-validity={result.validity}>
          Valid until {when(result.expiresAt)}; resolvers check again after {span(result.ttlMs)}.
        </p>
        <ul>{result.results.map(r => (
          <li key={r.target} data-ok={String(r.ok)} data-via={via(r.target)}>
            {r.target.startsWith('/p2p/') ? <>peer <code title={r.target}>{r.target.slice(5, 14)}…{r.target.slice(-6)}</code> over libp2p</> : r.target === 'libp2p' ? 'libp2p peers' : r.target}: {r.ok ? 'stored' : `failed: ${r.error ?? ''}`}
          </li>
        ))}</ul>
      </div>
      <div data-testid="keeper-results" data-count={String(result.keepers.length)}>
        <h4>Keepers</h4>
        {result.keepers.length === 0
          ? <p class="muted">No keeper that holds names is set up, so while no Cairn tab is open only the routers and peers above hold this record, until it expires. Add a Kubo node in Settings to keep the name alive without this device.</p>
          : <ul>{result.keepers.map(k => (
            <li key={k.keeper} data-ok={String(k.ok)}>{k.keeper}: {k.ok ? <span class="ok">holds the record</span> : <span class="status-error">failed: {k.error ?? 'no reason given'}</span>}</li>
          ))}</ul>}
      </div>
    </>
  )
}

export function PublishForm ({ app, keys }: { app: App, keys: string[] }) {
  const [key, setKey] = useState('')
  const [value, setValue] = useState('')
  const [lifetime, setLifetime] = useState<string>('48h')
  const [ttl, setTtl] = useState('5m')
  const [result, setResult] = useState<PublishOutcome | undefined>(undefined)
  const pub = useAction(async () => { setResult(undefined); setResult(await app.names.publish(key !== '' ? key : keys[0]!, value.trim(), { lifetime, ttl, signal: AbortSignal.timeout(60_000) })) })
  return (
    <form class="card" onSubmit={(e) => { e.preventDefault(); void pub.run() }} data-testid="publish-form">
      <h3>Publish</h3>
      <div class="row wrap stack">
        <label>Key <select name="key" value={key !== '' ? key : keys[0] ?? ''} onChange={(e) => { setKey((e.target as HTMLSelectElement).value) }}>{keys.map(k => <option key={k} value={k}>{k}</option>)}</select></label>
        <label class="grow" style={{ minWidth: '14rem' }}>Value <input name="value" value={value} placeholder="/ipfs/bafy… or a CID" onInput={(e) => { setValue((e.target as HTMLInputElement).value) }} /></label>
      </div>
      <div class="row wrap stack">
        <label>Lifetime <select name="lifetime" value={lifetime} onChange={(e) => { setLifetime((e.target as HTMLSelectElement).value) }}>
          {LIFETIMES.map(l => <option key={l.value} value={l.value}>{l.label}</option>)}
        </select></label>
        <label title="How long resolvers may cache the answer before they ask again">Cache TTL <input name="ttl" value={ttl} size={6} style={{ width: '6em' }} onInput={(e) => { setTtl((e.target as HTMLInputElement).value) }} /></label>
        <button type="submit" disabled={pub.busy || keys.length === 0 || value.trim() === ''}>{pub.busy ? 'Publishing…' : 'Publish'}</button>
      </div>
      <LifetimeAdvice lifetime={lifetime} />
      <ErrorBox message={pub.error} onClose={pub.clear} />
      {result !== undefined && <PublishResult result={result} />}
    </form>
  )
}

/** Whether the installed app re-sends records in the background, and if not, why. */
export function BackgroundKeepAlive ({ app }: { app: App }) {
  const status = useStore(app.names.background)
  const check = useAction(async () => { await app.names.checkBackground() })
  useEffect(() => { void check.run() }, [app])
  const state = status.state
  const last = status.lastRun
  return (
    <div class="card" data-testid="background-keepalive"
      data-state={state === undefined ? 'checking' : state.active ? 'active' : 'inactive'}
      data-reason={state !== undefined && !state.active ? state.reason : ''}
      data-permission={state?.permission ?? ''}>
      <h3>Keep-alive while Cairn is closed</h3>
      {state === undefined && <p class="muted">Checking what this browser allows…</p>}
      {state?.active === true && <p class="ok">On: the browser wakes Cairn now and then (about every {Math.round(state.minIntervalMs / 3_600_000)} h at most, when it chooses) to send the stored records again to the routers and keepers. Records are never re-signed in the background, so a record still expires after its lifetime unless Cairn is opened.</p>}
      {state !== undefined && !state.active && <p><strong>Off</strong>: {state.message}</p>}
      <p class="muted">{status.validRecords} of {status.records} stored record{status.records === 1 ? '' : 's'} still valid.{' '}
        {last === undefined
          ? 'No background round has run yet.'
          : <span data-testid="last-background-round">Last background round {when(last.at)}: {last.sent} record{last.sent === 1 ? '' : 's'} sent, {last.results.filter(r => r.ok).length} accepted, {last.results.filter(r => !r.ok).length} failed{last.expired > 0 ? `, ${last.expired} expired (open Cairn to re-sign)` : ''}{last.skipped.length > 0 ? `; skipped ${last.skipped.map(s => `${s.keeper} (${s.reason})`).join(', ')}` : ''}.</span>}
      </p>
      <ErrorBox message={check.error} onClose={check.clear} />
    </div>
  )
}
