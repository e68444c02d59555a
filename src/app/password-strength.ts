/**
 * Password ratings for repository passwords, from zxcvbn-ts (a real estimator: dictionaries of
 * common passwords, names and words, l33t substitutions, keyboard patterns, dates, sequences).
 * Its dictionaries are large, so it is loaded on demand (`loadPasswordRater`, its own chunk) when
 * the create form opens, never with the app.
 *
 * The scale is stricter than zxcvbn's own: a repository on IPFS is public, so anyone who knows its
 * name can download `keys/` and guess offline for as long as they like. At 10^4 guesses a second
 * (scrypt N=2^17 against a farm of a hundred GPUs, zxcvbn's "offline slow hashing" rate),
 * 10^10 guesses take 12 days, 10^12 three years and 10^14 three centuries.
 */
export interface PasswordStrength {
  /** 0 (very weak) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4
  label: 'very weak' | 'weak' | 'fair' | 'good' | 'strong'
  /** Estimated guesses, as bits (log2). */
  bits: number
  /** How long 10^4 guesses a second would take to find it, in words ("3 years", "centuries"). */
  crackTime: string
  /** What the estimator found and what to do, in one or two sentences. */
  hint: string
}

/** Rates a password; `userInputs` are words an attacker would try first (the repository's name). */
export type PasswordRater = (password: string, userInputs?: readonly string[]) => PasswordStrength

/** log10(guesses) thresholds for scores 1, 2, 3 and 4. */
export const SCORE_THRESHOLDS = [6, 10, 12, 14] as const
export const LABELS = ['very weak', 'weak', 'fair', 'good', 'strong'] as const
/** Guesses a second assumed of an attacker holding the key file. */
export const ATTACK_RATE = 1e4

export function scoreFor (guessesLog10: number): PasswordStrength['score'] {
  let score = 0
  for (const t of SCORE_THRESHOLDS) if (guessesLog10 >= t) score++
  return score as PasswordStrength['score']
}

let loading: Promise<PasswordRater> | undefined

/** Loads the estimator (once; later calls share it). */
export async function loadPasswordRater (): Promise<PasswordRater> {
  loading ??= import('./password-estimator.js').then(async m => await m.createPasswordRater()).catch((err: unknown) => {
    loading = undefined
    throw err
  })
  return await loading
}
