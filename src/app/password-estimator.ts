/**
 * zxcvbn-ts with its common and English dictionaries; imported only by `loadPasswordRater`, when
 * the create form opens. The estimator and each language pack are chunks of their own (the
 * dictionaries are most of it: about 0.85 MB gzipped in all), fetched in parallel.
 */
import { ATTACK_RATE, LABELS, scoreFor } from './password-strength.js'
import type { PasswordRater, PasswordStrength } from './password-strength.js'

/** Words every Cairn repository password is tried against first. */
const SITE_WORDS = ['cairn', 'restic', 'backup', 'backups', 'repository', 'ipfs', 'ipns']

export async function createPasswordRater (): Promise<PasswordRater> {
  const [{ ZxcvbnFactory }, { adjacencyGraphs, dictionary: common }, { dictionary: english, translations }] = await Promise.all([
    import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')
  ])
  const zxcvbn = new ZxcvbnFactory({
    translations,
    graphs: adjacencyGraphs,
    dictionary: { ...common, ...english }
    // No Levenshtein matching: it makes each rating several times slower (it compares the whole
    // password with every dictionary word), and l33t and case variants already catch P@ssw0rd.
  })
  return (password, userInputs = []) => {
    if (password === '') {
      return { score: 0, label: LABELS[0], bits: 0, crackTime: 'no time', hint: 'Enter a password. A passphrase of five or more unrelated words is strong and easy to remember.' }
    }
    const inputs = [...SITE_WORDS, ...userInputs.flatMap(w => w.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter(w => w.length >= 3)]
    const r = zxcvbn.check(password, inputs)
    const score = scoreFor(r.guessesLog10)
    const seconds = r.guesses / ATTACK_RATE
    const found = [r.feedback.warning, ...r.feedback.suggestions].filter((s): s is string => s !== null && s !== '')
    let hint = found.join(' ')
    if (score < 3) hint = (hint === '' ? '' : hint + ' ') + 'Use a longer passphrase: five or more unrelated words, or 16+ random characters.'
    else hint = (hint === '' ? '' : hint + ' ') + 'Keep it somewhere safe: without it, nobody (not even you) can restore this backup.'
    const strength: PasswordStrength = {
      score,
      label: LABELS[score],
      bits: Math.round(r.guessesLog10 * Math.log2(10)),
      crackTime: describeDuration(seconds),
      hint
    }
    return strength
  }
}

/** A duration in words, as a person would say it. */
export function describeDuration (seconds: number): string {
  const units: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30.44, 'day'], [12, 'month'], [100, 'year']]
  if (seconds < 1) return 'less than a second'
  let v = seconds
  for (const [size, name] of units) {
    if (v < size) { const n = Math.round(v); return `${n} ${name}${n === 1 ? '' : 's'}` }
    v /= size
  }
  return 'centuries'
}
