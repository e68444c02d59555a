import { useState } from 'preact/hooks'
import { KEEPER_KINDS, validateKeepers } from '../../app/app.js'
import type { KeeperSettings } from '../../app/app.js'

type Kind = KeeperSettings['kind']

const KINDS: Record<Kind, { title: string, short: string, endpoint: string, placeholder: string, help: string }> = {
  kubo: { title: 'Kubo node (RPC API)', short: 'Kubo', endpoint: 'RPC API URL', placeholder: 'http://127.0.0.1:5001', help: 'A Kubo node you run: it pins what you push and holds your names\' records.' },
  cluster: { title: 'IPFS Cluster (REST API)', short: 'Cluster', endpoint: 'REST API URL', placeholder: 'http://127.0.0.1:9094', help: 'An IPFS Cluster: every peer of the cluster pins what you push.' },
  psa: { title: 'Pinning service (Pinning Service API)', short: 'Pinning service', endpoint: 'API endpoint', placeholder: 'https://pinning.example/api', help: 'A pinning service that speaks the IPFS Pinning Service API.' },
  s3: { title: 'S3-compatible bucket (CAR import)', short: 'S3 bucket', endpoint: 'S3 endpoint', placeholder: 'https://s3.example', help: 'A bucket that imports CAR files and pins them (e.g. Filebase).' }
}

const blank = (kind: Kind): KeeperSettings => kind === 's3'
  ? { kind, name: '', endpoint: '', token: '', bucket: '', region: '', accessKeyId: '' }
  : { kind, name: '', endpoint: '', token: '' }

/** Only the fields the kind uses, trimmed. */
function tidy (k: KeeperSettings): KeeperSettings {
  const base = { kind: k.kind, name: k.name.trim(), endpoint: k.endpoint.trim(), token: k.token.trim() }
  if (k.kind !== 's3') return base
  const region = (k.region ?? '').trim()
  return { ...base, bucket: (k.bucket ?? '').trim(), accessKeyId: (k.accessKeyId ?? '').trim(), ...(region !== '' ? { region } : {}) }
}

function Field ({ label, name, value, onInput, placeholder, secret, optional }: { label: string, name: string, value: string, onInput: (v: string) => void, placeholder?: string, secret?: boolean, optional?: boolean }) {
  return (
    <label class="field">
      <span>{label}{optional === true ? <small class="muted"> (optional)</small> : null}</span>
      {secret === true
        ? <input name={name} type="password" value={value} placeholder={placeholder} autocomplete="off" onInput={(e) => { onInput((e.target as HTMLInputElement).value) }} />
        : <input name={name} type="text" value={value} placeholder={placeholder} spellcheck={false} autocomplete="off" onInput={(e) => { onInput((e.target as HTMLInputElement).value) }} />}
    </label>
  )
}

/** The profile's keepers: each listed with Edit and Remove, and a form (kind first) to add or edit one. */
export function KeepersSettings ({ keepers, onChange }: { keepers: KeeperSettings[], onChange: (next: KeeperSettings[]) => void }) {
  const [form, setForm] = useState<KeeperSettings>(blank('kubo'))
  const [editing, setEditing] = useState<number | undefined>(undefined)
  const [problems, setProblems] = useState<string[]>([])
  const set = (patch: Partial<KeeperSettings>): void => { setForm({ ...form, ...patch }); setProblems([]) }
  const reset = (): void => { setForm(blank(form.kind)); setEditing(undefined); setProblems([]) }
  const submit = (): void => {
    const entry = tidy(form)
    const others = keepers.filter((_, i) => i !== editing)
    const found = validateKeepers([entry])
    if (entry.name !== '' && others.some(k => k.name.trim() === entry.name)) found.push(`a keeper is already named "${entry.name}": give this one a different name`)
    if (found.length > 0) { setProblems(found); return }
    onChange(editing === undefined ? [...keepers, entry] : keepers.map((k, i) => i === editing ? entry : k))
    setForm(blank(entry.kind))
    setEditing(undefined)
  }
  const kind = KINDS[form.kind]
  return (
    <fieldset data-testid="keepers">
      <legend>Keepers</legend>
      <small class="muted">Nodes and services that keep your files, backups and names after this tab closes. Each is contacted only when you push to it or check on it. Secrets are stored encrypted on this device.</small>
      {keepers.length === 0 && <p class="muted">None yet.</p>}
      {keepers.length > 0 && (
        <ul class="keepers-list">
          {keepers.map((k, i) => (
            <li key={`${i}:${k.kind}:${k.name}`} data-keeper={`${k.kind}:${k.name}`} class={editing === i ? 'editing' : ''}>
              <span class="grow">
                <strong>{k.name}</strong> <span class="tag" title={KINDS[k.kind]?.title}>{KINDS[k.kind]?.short ?? k.kind}</span>
                <br /><code class="wrap-anywhere">{k.endpoint}{k.kind === 's3' ? ` · ${k.bucket ?? ''}` : ''}</code>{' '}
                <small class="muted">{k.kind === 's3' ? 'secret key' : 'token'} {k.token === '' ? (k.kind === 'kubo' || k.kind === 'cluster' ? 'none' : 'missing') : 'set'}</small>
              </span>
              <span class="row">
                <button type="button" class="secondary small" onClick={() => { setForm({ ...blank(k.kind), ...k }); setEditing(i); setProblems([]) }} aria-label={`Edit keeper ${k.name}`}>Edit</button>
                <button type="button" class="danger small" onClick={() => { onChange(keepers.filter((_, j) => j !== i)); if (editing === i) reset() }} aria-label={`Remove keeper ${k.name}`}>Remove</button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <div class="keeper-form" data-testid="keeper-form">
        <h4>{editing === undefined ? 'Add a keeper' : `Edit "${keepers[editing]?.name ?? ''}"`}</h4>
        <label class="field">
          <span>Kind</span>
          <select name="keeperKind" value={form.kind} onChange={(e) => { const k = (e.target as HTMLSelectElement).value as Kind; setForm({ ...blank(k), name: form.name, endpoint: form.endpoint }); setProblems([]) }}>
            {KEEPER_KINDS.map(k => <option key={k} value={k}>{KINDS[k].title}</option>)}
          </select>
        </label>
        <small class="muted block">{kind.help}</small>
        <div class="keeper-fields">
          <Field label="Name" name="keeperName" value={form.name} onInput={(name) => { set({ name }) }} placeholder="e.g. home server" />
          <Field label={kind.endpoint} name="keeperEndpoint" value={form.endpoint} onInput={(endpoint) => { set({ endpoint }) }} placeholder={kind.placeholder} />
          {form.kind === 's3' && <>
            <Field label="Bucket" name="keeperBucket" value={form.bucket ?? ''} onInput={(bucket) => { set({ bucket }) }} placeholder="my-bucket" />
            <Field label="Region" name="keeperRegion" value={form.region ?? ''} onInput={(region) => { set({ region }) }} placeholder="us-east-1" optional />
            <Field label="Access key ID" name="keeperAccessKeyId" value={form.accessKeyId ?? ''} onInput={(accessKeyId) => { set({ accessKeyId }) }} />
            <Field label="Secret access key" name="keeperSecret" value={form.token} onInput={(token) => { set({ token }) }} secret />
          </>}
          {form.kind === 'psa' && <Field label="Access token" name="keeperToken" value={form.token} onInput={(token) => { set({ token }) }} secret />}
          {(form.kind === 'kubo' || form.kind === 'cluster') && <Field label="Token or user:password" name="keeperToken" value={form.token} onInput={(token) => { set({ token }) }} secret optional />}
        </div>
        {problems.length > 0 && <ul class="error" role="alert" data-testid="keeper-problems">{problems.map(p => <li key={p}>{p}</li>)}</ul>}
        <div class="row">
          <button type="button" onClick={submit}>{editing === undefined ? 'Add keeper' : 'Update keeper'}</button>
          {editing !== undefined && <button type="button" class="secondary" onClick={reset}>Cancel</button>}
        </div>
        <small class="muted">Added and edited keepers take effect when you save the settings below.</small>
      </div>
    </fieldset>
  )
}
