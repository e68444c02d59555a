/**
 * The Backups page's "Create a repository" form. The name of a repository on IPFS is public, so
 * the form says so, and rates the password with a real estimator (zxcvbn-ts), loaded on demand
 * when the form first shows (its own chunk; the app's first load does not carry it).
 */
import { useEffect, useState } from 'preact/hooks'
import { loadPasswordRater } from '../../app/app.js'
import type { App, PasswordRater, PasswordStrength } from '../../app/app.js'
import type { Task } from '../use-task.js'

/** Rates the password a moment after typing stops (a rating takes tens of milliseconds). */
function Strength ({ rate, failed, password, label }: { rate: PasswordRater | undefined, failed: boolean, password: string, label: string }) {
  const [rated, setRated] = useState<{ password: string, label: string, s: PasswordStrength } | undefined>(undefined)
  useEffect(() => {
    if (rate === undefined || password === '') return
    const t = setTimeout(() => { setRated({ password, label, s: rate(password, [label]) }) }, 120)
    return () => { clearTimeout(t) }
  }, [rate, password, label])
  if (password === '') return null
  const s = rated !== undefined && rated.password === password && rated.label === label ? rated.s : undefined
  if (s === undefined) {
    return <p class="strength muted" data-testid="password-strength" data-score="">{failed ? 'The password rating could not load; choose a long passphrase of five or more unrelated words.' : 'Rating the password…'}</p>
  }
  return (
    <p class={`strength strength-${s.score}`} data-testid="password-strength" data-score={s.score}>
      <meter min={0} max={4} low={2} high={3} optimum={4} value={s.score} /> <strong data-testid="password-label">{s.label}</strong>{' '}
      <span class="muted">(an attacker trying 10,000 passwords a second would need {/^\d/.test(s.crackTime) ? `about ${s.crackTime}` : s.crackTime})</span>
      <small class="muted strength-hint">{s.hint}</small>
    </p>
  )
}

export function CreateRepoForm ({ app, task }: { app: App, task: Task }) {
  const [label, setLabel] = useState('')
  const [pw1, setPw1] = useState('')
  const [pw2, setPw2] = useState('')
  const [remember, setRemember] = useState(false)
  const [rate, setRate] = useState<PasswordRater | undefined>(undefined)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    let live = true
    loadPasswordRater().then(r => { if (live) setRate(() => r) }, () => { if (live) setFailed(true) })
    return () => { live = false }
  }, [])
  const mismatch = pw2 !== '' && pw1 !== pw2

  return (
    <form class="card grow" data-testid="create-repo" onSubmit={(e) => {
      e.preventDefault()
      void task.run(async (o) => app.backups.create(label, pw1, { ...o, remember })).then(() => { setPw1(''); setPw2('') })
    }}>
      <h3>Create a repository</h3>
      <p class="warning" data-testid="public-notice">
        <strong>The repository's name is public.</strong> Anyone who learns it can download the encrypted
        data and try passwords against it for as long as they like. The password is all that protects it:
        use a long passphrase, and keep it safe.
      </p>
      <label>Name <input name="label" value={label} placeholder="e.g. Photos" onInput={(e) => { setLabel((e.target as HTMLInputElement).value) }} /></label>
      <label>Password <input type="password" name="password" autocomplete="new-password" value={pw1} onInput={(e) => { setPw1((e.target as HTMLInputElement).value) }} /></label>
      <label>Password again <input type="password" name="password2" autocomplete="new-password" value={pw2} onInput={(e) => { setPw2((e.target as HTMLInputElement).value) }} /></label>
      <Strength rate={rate} failed={failed} password={pw1} label={label} />
      {mismatch && <p class="warning" data-testid="password-mismatch">The passwords differ.</p>}
      <label><input type="checkbox" checked={remember} onChange={(e) => { setRemember((e.target as HTMLInputElement).checked) }} /> Remember on this device</label>
      <button type="submit" disabled={task.busy || label.trim() === '' || pw1 === '' || pw1 !== pw2}>Create</button>
    </form>
  )
}
