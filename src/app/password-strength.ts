/**
 * A quick strength hint for repository passwords. It estimates guessing entropy from the length and
 * the kinds of characters, and discounts repeats, runs (abc, 123, qwerty) and very common words.
 * It is a hint, not a verdict: restic's scrypt key derivation makes each guess slow, but a weak
 * password is still the easiest way into a backup.
 */
export interface PasswordStrength {
  /** 0 (very weak) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4
  label: 'very weak' | 'weak' | 'fair' | 'good' | 'strong'
  /** Estimated bits of entropy. */
  bits: number
  hint: string
}

const COMMON = ['password', 'passwort', 'qwerty', 'azerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon', 'secret', 'backup', 'restic', 'cairn', 'abc123', '123456', 'football', 'baseball', 'sunshine', 'princess', 'master', 'login']
const RUNS = ['abcdefghijklmnopqrstuvwxyz', '0123456789', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm']

export function passwordStrength (password: string): PasswordStrength {
  const chars = [...password]
  if (chars.length === 0) return { score: 0, label: 'very weak', bits: 0, hint: 'Enter a password. A passphrase of four or more unrelated words is strong and easy to remember.' }
  let pool = 0
  if (/[a-z]/.test(password)) pool += 26
  if (/[A-Z]/.test(password)) pool += 26
  if (/[0-9]/.test(password)) pool += 10
  if (/[^A-Za-z0-9]/.test(password)) pool += /[^\u0020-\u007e]/.test(password) ? 100 : 33
  // Count characters that add information: a repeat of the previous one, or the next step of a
  // run (abc, 321, qwe), adds almost nothing.
  const lower = password.toLowerCase()
  let effective = 0
  for (let i = 0; i < chars.length; i++) {
    const c = lower[i] ?? ''
    const prev = lower[i - 1]
    const prev2 = lower[i - 2]
    const inRun = prev !== undefined && RUNS.some(r => r.includes(prev + c) || r.includes(c + prev)) && (prev2 === undefined || RUNS.some(r => r.includes(prev2 + prev + c) || r.includes(c + prev + prev2)))
    effective += c === prev ? 0.1 : inRun ? 0.25 : 1
  }
  let bits = effective * Math.log2(Math.max(pool, 2))
  const common = COMMON.filter(w => lower.includes(w))
  for (const w of common) bits -= w.length * Math.log2(Math.max(pool, 2)) - 10
  bits = Math.max(0, Math.round(bits))
  const score = (bits < 28 ? 0 : bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4) as PasswordStrength['score']
  const label = (['very weak', 'weak', 'fair', 'good', 'strong'] as const)[score]
  let hint: string
  if (common.length > 0) hint = `It contains "${common[0] ?? ''}", one of the first words an attacker tries. `
  else if (chars.length < 12) hint = 'It is short. '
  else hint = ''
  hint += score >= 3 ? 'Keep it somewhere safe: without it, nobody (not even you) can restore this backup.' : 'Use a longer passphrase: four or more unrelated words, or 16+ mixed characters.'
  return { score, label, bits, hint }
}
