import { useEffect, useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { ErrorBox } from '../components/error-box.js'
import { KeepersSettings } from '../components/keepers-settings.js'
import type { App, StoredSettings } from '../../app/app.js'
import type { NetworkSettings, SettingsProfileName } from '../../core/settings.js'

type ListKey = 'bootstrap' | 'relays' | 'delegatedRouters' | 'gateways' | 'stunServers'

const LISTS: Array<{ key: ListKey, label: string, help: string }> = [
  { key: 'bootstrap', label: 'Bootstrap peers', help: 'Multiaddrs dialled at start, one per line (with /p2p/<peer id>).' },
  { key: 'relays', label: 'Circuit relays', help: 'Relays to hold a reservation on, so other browsers can reach this node.' },
  { key: 'delegatedRouters', label: 'Delegated routers', help: 'Delegated Routing V1 HTTP endpoints, for providers and IPNS.' },
  { key: 'gateways', label: 'Trustless gateways', help: 'Tried in this order when no peer has a block. Every block is verified.' },
  { key: 'stunServers', label: 'STUN servers', help: 'For WebRTC between browsers behind NAT (stun:host:port).' }
]

const toText = (list: string[]): string => list.join('\n')
const fromText = (text: string): string[] => text.split('\n').map(l => l.trim()).filter(l => l !== '')

export function SettingsView ({ app }: { app: App }) {
  const stored = useStore(app.settings)
  const [draft, setDraft] = useState<StoredSettings | undefined>(stored)
  const [saved, setSaved] = useState(false)
  useEffect(() => { setDraft(stored) }, [stored])
  const save = useAction(async (next: StoredSettings) => { await app.saveSettings(next); setSaved(true) })

  if (draft === undefined) return <p>Loading settings…</p>
  const profile = draft.profiles[draft.profile]
  const setProfileField = (patch: Partial<NetworkSettings>): void => {
    setSaved(false)
    setDraft({ ...draft, profiles: { ...draft.profiles, [draft.profile]: { ...profile, ...patch } } })
  }

  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <p class="muted">The node contacts only what is listed here. Saving restarts the node.</p>
      <form onSubmit={(e) => { e.preventDefault(); void save.run(draft) }}>
        <fieldset>
          <legend>Profile</legend>
          {(['public', 'local'] as SettingsProfileName[]).map(p => (
            <label key={p} class="radio">
              <input type="radio" name="profile" value={p} checked={draft.profile === p} onChange={() => { setSaved(false); setDraft({ ...draft, profile: p }) }} />
              {p === 'public' ? 'Public network (defaults for real use)' : 'Local network (npm start, tests)'}
            </label>
          ))}
        </fieldset>
        {LISTS.map(({ key, label, help }) => (
          <label key={key} class="field">
            <span>{label}</span>
            <textarea name={key} rows={3} spellcheck={false} value={toText(profile[key])} onInput={(e) => { setProfileField({ [key]: fromText((e.target as HTMLTextAreaElement).value) }) }} />
            <small class="muted">{help}</small>
          </label>
        ))}
        <label class="field">
          <span>Public gateway for share links</span>
          <input name="publicGateway" value={profile.publicGateway} onInput={(e) => { setProfileField({ publicGateway: (e.target as HTMLInputElement).value.trim() }) }} placeholder="https://gateway.example" />
        </label>
        <label class="field">
          <span>DNS-over-HTTPS resolver (for DNSLink names)</span>
          <input name="dohResolver" value={profile.dohResolver ?? ''} onInput={(e) => { setProfileField({ dohResolver: (e.target as HTMLInputElement).value.trim() }) }} placeholder="https://resolver.example/dns-query" />
        </label>
        <KeepersSettings keepers={profile.keepers ?? []} onChange={(keepers) => { setProfileField({ keepers }) }} />
        <label class="field">
          <span>CID profile for new files</span>
          <select name="addProfile" value={draft.addProfile ?? 'unixfs-v0-2015'} onChange={(e) => { setSaved(false); setDraft({ ...draft, addProfile: (e.target as HTMLSelectElement).value }) }}>
            <option value="unixfs-v0-2015">unixfs-v0-2015 (Kubo's default `ipfs add`: CIDv0, 256 KiB chunks)</option>
            <option value="unixfs-v1-2025">unixfs-v1-2025 (CIDv1, raw leaves, 1 MiB chunks)</option>
          </select>
        </label>
        <div class="row">
          <button type="submit" disabled={save.busy}>{save.busy ? 'Saving…' : 'Save and restart node'}</button>
          {saved && <span class="ok" role="status">Saved.</span>}
        </div>
        <ErrorBox message={save.error} onClose={save.clear} />
      </form>
    </section>
  )
}
