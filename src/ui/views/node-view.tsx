import { useState } from 'preact/hooks'
import { useAction, useStore } from '../hooks.js'
import { ErrorBox } from '../components/error-box.js'
import { copyText, shownStatus } from '../../app/app.js'
import type { App } from '../../app/app.js'

/** A Copy button that says "Copied" for a moment (or why it could not copy). */
function CopyButton ({ text, label }: { text: string, label: string }) {
  const [done, setDone] = useState<'' | 'Copied' | 'Not copied'>('')
  return (
    <button
      type="button"
      class="secondary small"
      aria-label={label}
      onClick={() => {
        void copyText(text).then(() => { setDone('Copied') }, () => { setDone('Not copied') })
        setTimeout(() => { setDone('') }, 1500)
      }}
    >{done === '' ? 'Copy' : done}
    </button>
  )
}

export function NodeView ({ app }: { app: App }) {
  const state = useStore(app.node.state)
  const shown = shownStatus(state)
  const [addr, setAddr] = useState('')
  const dial = useAction(async (a: string) => { await app.node.dial(a.trim()); setAddr('') })
  const hangUp = useAction(async (peer: string) => { await app.node.hangUp(peer) })

  return (
    <section aria-labelledby="node-title">
      <h2 id="node-title">Node</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd><span class={`status status-${shown}`} data-testid="node-view-status">{shown === 'offline' ? 'offline: reconnecting to the peers in Settings' : shown}</span>{state.error !== undefined && <ErrorBox message={`The node could not start: ${state.error}. Check the addresses in Settings.`} />}</dd>
        <dt>Peer ID</dt>
        <dd><code data-testid="peer-id">{state.peerId ?? '…'}</code>{state.peerId !== undefined && <> <CopyButton text={state.peerId} label="Copy peer ID" /></>}</dd>
      </dl>

      <h3>Addresses</h3>
      {state.addresses.length === 0
        ? <p class="muted">No addresses yet. Others can reach this node once it holds a relay reservation (see Settings → relays).</p>
        : <ul class="addrs" data-testid="addresses">{state.addresses.map(a => <li key={a}><code>{a}</code> <CopyButton text={a} label={`Copy address ${a}`} /></li>)}</ul>}

      <h3>Connections <span class="count" data-testid="connection-count">{state.connections.length}</span></h3>
      {state.connections.length === 0
        ? <p class="muted">Not connected to any peer.</p>
        : (
          <table class="connections" data-testid="connections">
            <thead><tr><th>Peer</th><th>Transport</th><th>Direction</th><th>Address</th><th /></tr></thead>
            <tbody>
              {state.connections.map(c => (
                <tr key={c.id} data-peer={c.peerId} data-transport={c.transport}>
                  <td><code title={c.peerId}>{c.peerId.slice(0, 8)}…{c.peerId.slice(-6)}</code></td>
                  <td><span class={`tag tag-${c.transport}`}>{c.transport}</span>{c.limited && <span class="tag">limited</span>}</td>
                  <td>{c.direction}</td>
                  <td><code class="addr">{c.remoteAddr}</code></td>
                  <td><button type="button" onClick={() => { void hangUp.run(c.peerId) }} disabled={hangUp.busy}>Disconnect</button></td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
      <ErrorBox message={hangUp.error} onClose={hangUp.clear} />

      <h3>Dial a peer</h3>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void dial.run(addr) }}>
        <label class="grow">
          <span class="sr-only">Multiaddr</span>
          <input name="multiaddr" value={addr} onInput={(e) => { setAddr((e.target as HTMLInputElement).value) }} placeholder="/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3… or …/p2p-circuit/webrtc/p2p/12D3…" spellcheck={false} autocomplete="off" />
        </label>
        <button type="submit" disabled={dial.busy || addr.trim() === '' || state.status !== 'online'}>{dial.busy ? 'Dialling…' : 'Dial'}</button>
      </form>
      <ErrorBox message={dial.error} onClose={dial.clear} />
    </section>
  )
}
