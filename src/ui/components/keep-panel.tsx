import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { useTask } from '../use-task.js'
import { CancelledNote, ErrorBox } from './error-box.js'
import { ProgressBar } from './progress-bar.js'
import type { App, KeeperRow, KeptAnswer, TargetStatus } from '../../app/app.js'

const STATE_TEXT: Record<KeptAnswer['state'], string> = {
  pinned: 'pinned',
  pinning: 'pinning',
  queued: 'queued',
  failed: 'failed',
  absent: 'not held',
  unknown: 'cannot say',
  error: 'no answer'
}

/** Holders first, then the keepers still at it, then the rest. */
const ORDER: Array<KeptAnswer['state']> = ['pinned', 'pinning', 'queued', 'failed', 'error', 'unknown', 'absent']

function ago (at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000))
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return new Date(at).toLocaleDateString()
}

/**
 * "Kept by": which keepers hold `cid`, as they last said (stored, shown at once), refreshed by
 * asking each of them when shown and on Check.
 */
export function KeptBy ({ app, cid }: { app: App, cid: string }) {
  const all = useStore(app.keepers.answers)
  const stored = all.get(cid)
  const answers = stored === undefined ? undefined : [...stored].sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.label.localeCompare(b.label))
  const check = useAction(async () => { await app.keepers.check(cid) })
  useEffect(() => {
    void app.keepers.kept(cid).then(() => check.run())
  }, [cid])
  const held = (answers ?? []).filter(a => a.state === 'pinned')
  return (
    <div class="kept-by" data-testid="kept-by" data-cid={cid}>
      <div class="row wrap">
        <strong class="grow" data-testid="kept-summary">Kept by: {answers === undefined ? '…' : held.length === 0 ? <span class="muted">no keeper holds it{check.busy ? ' (checking…)' : ''}</span> : held.map(a => a.label).join(', ')}</strong>
        <button type="button" class="secondary small" data-testid="kept-check" disabled={check.busy} onClick={() => { void check.run() }}>{check.busy ? 'Checking…' : 'Check'}</button>
      </div>
      {answers !== undefined && answers.length > 0 && (
        <ul class="kept-list">
          {answers.map(a => (
            <li key={a.keeperId} data-keeper-id={a.keeperId} data-state={a.state}>
              <span class={`kept-state kept-${a.state}`}>{STATE_TEXT[a.state]}</span>
              <span class="grow">{a.label}</span>
              <small class="muted" title={a.detail}>{a.state === 'error' && a.detail !== undefined ? a.detail : ago(a.at)}</small>
            </li>
          ))}
        </ul>
      )}
      {answers !== undefined && answers.length === 0 && !check.busy && <p class="muted">No keeper has been asked yet: add keepers in Settings, or connect to a peer that pins.</p>}
      <ErrorBox message={check.error} onClose={check.clear} />
    </div>
  )
}

/** Choose keepers and push `cid` to them, with a status per keeper, cancel, and Retry for the failed ones. */
export function PushToKeepers ({ app, cid, name }: { app: App, cid: string, name: string }) {
  const [keepers, setKeepers] = useState<KeeperRow[] | undefined>(undefined)
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [statuses, setStatuses] = useState<TargetStatus[]>([])
  const task = useTask('Cancelled. Keepers that finished keep what they received.')
  const load = useAction(async () => {
    const list = await app.keepers.list()
    setKeepers(list)
    setChosen(prev => prev.size > 0 ? new Set([...prev].filter(id => list.some(k => k.id === id))) : new Set(list.map(k => k.id)))
  })
  useEffect(() => { void load.run() }, [cid])
  const toggle = (id: string, on: boolean): void => { const next = new Set(chosen); if (on) next.add(id); else next.delete(id); setChosen(next) }
  const push = (ids: string[]): void => {
    void task.run(async (o) => {
      const total = ids.length
      return await app.keepers.push(cid, ids, {
        name,
        signal: o.signal,
        onProgress: (evt) => {
          // A retry replaces only the statuses of the keepers it pushes to.
          setStatuses(prev => [...prev.filter(p => !evt.detail.some(s => s.keeper.id === p.keeper.id)), ...evt.detail])
          const finished = evt.detail.filter(s => s.state === 'done' || s.state === 'failed').length
          o.onProgress({ label: `Pushing to ${total} keeper${total === 1 ? '' : 's'}: ${finished} of ${total} finished`, done: evt.detail.reduce((n, s) => n + s.bytes, 0), total: undefined, rate: 0, eta: undefined })
        }
      })
    })
  }
  const failed = statuses.filter(s => s.state === 'failed').map(s => s.keeper.id)
  return (
    <div class="push-keepers" data-testid="push-keepers">
      <div class="row wrap">
        <strong class="grow">Push to keepers</strong>
        <button type="button" class="secondary small" disabled={load.busy} onClick={() => { void load.run() }}>Refresh list</button>
      </div>
      {keepers !== undefined && keepers.length === 0 && <p class="muted">No keeper yet: add one in Settings (Kubo, Cluster, a pinning service, an S3 bucket), or connect to a peer that pins.</p>}
      <div class="keeper-choices">
        {(keepers ?? []).map(k => (
          <label key={k.id} data-keeper-id={k.id}>
            <input type="checkbox" checked={chosen.has(k.id)} onChange={(e) => { toggle(k.id, (e.target as HTMLInputElement).checked) }} /> {k.name} <small class="muted">{k.kind === 'peer' ? 'peer that pins' : k.label}</small>
          </label>
        ))}
      </div>
      <div class="row wrap">
        <button type="button" data-testid="push-start" disabled={task.busy || chosen.size === 0} onClick={() => { setStatuses([]); push([...chosen]) }}>Push</button>
        {failed.length > 0 && !task.busy && <button type="button" class="secondary" data-testid="push-retry" onClick={() => { push(failed) }}>Retry the failed ({failed.length})</button>}
      </div>
      {task.progress !== undefined && <ProgressBar progress={task.progress} onCancel={task.cancel} />}
      {statuses.length > 0 && (
        <ul class="push-statuses" data-testid="push-statuses">
          {statuses.map(s => (
            <li key={s.keeper.id} data-keeper-id={s.keeper.id} data-state={s.state}>
              <strong>{s.keeper.name}</strong>: {s.state}{s.message !== '' ? ` — ${s.message}` : ''}
            </li>
          ))}
        </ul>
      )}
      <ErrorBox message={load.error ?? task.error} onClose={() => { load.clear(); task.clearError() }} />
      <CancelledNote message={task.cancelled} />
    </div>
  )
}

/** Where `cid` is kept, and pushing it to more keepers. */
export function KeepPanel ({ app, cid, name }: { app: App, cid: string, name: string }) {
  return (
    <div class="keep-panel" data-testid="keep-panel">
      <KeptBy app={app} cid={cid} />
      <PushToKeepers app={app} cid={cid} name={name} />
    </div>
  )
}
