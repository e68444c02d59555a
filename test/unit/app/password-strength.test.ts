/**
 * Repository passwords rated by zxcvbn-ts on the scale for public storage (an attacker holding the
 * key file, 10^4 guesses a second): common passwords with substitutions and a year rate weak,
 * random and long passphrases strong, and the repository's name counts against a password.
 */
import { describe, expect, it } from 'vitest'
import { loadPasswordRater, scoreFor } from '../../../src/app/password-strength.js'
import { describeDuration } from '../../../src/app/password-estimator.js'

describe('password rating (zxcvbn-ts)', async () => {
  const rate = await loadPasswordRater()

  it('rates known weak passwords weak, whatever their character classes', () => {
    for (const pw of ['P@ssw0rd2024', 'password123', 'Summer2023!', 'qwertyuiop', 'iloveyou', 'Welcome1!', 'aaaaaaaaaaaaaaaa', 'abcdefghijklmnop', 'Passw0rd!', 'letmein2024']) {
      const s = rate(pw)
      expect(s.score, `${pw}: ${s.label} (${s.bits} bits)`).toBeLessThanOrEqual(1)
      expect(s.label, pw).toMatch(/weak/)
    }
  })

  it('rates xkcd\'s Tr0ub4dor&3 no better than fair: a word with substitutions is not strong', () => {
    expect(rate('Tr0ub4dor&3').score).toBeLessThanOrEqual(2)
  })

  it('says why, and what to do', () => {
    const s = rate('P@ssw0rd2024')
    expect(s.hint).toMatch(/commonly used password/)
    expect(s.hint).toMatch(/longer passphrase/)
    expect(s.crackTime).toMatch(/second|minute/)
  })

  it('rates long random passwords and passphrases of unrelated words strong', () => {
    for (const pw of ['x7#Kq9!mZ2@pL4vR', 'ahz9-Lup3-Qe7w-Tn8x', 'correct horse battery staple 42', 'gravel orbit lantern mosaic velvet']) {
      const s = rate(pw)
      expect(s.score, `${pw}: ${s.label} (${s.bits} bits)`).toBe(4)
      expect(s.crackTime).toBe('centuries')
      expect(s.hint).toContain('Keep it somewhere safe')
    }
  })

  it('counts the repository name and the site\'s words against the password', () => {
    const plain = rate('Holidays-Photos-2031')
    const named = rate('Holidays-Photos-2031', ['Holidays Photos'])
    expect(named.bits).toBeLessThan(plain.bits)
    expect(rate('CairnResticBackup').score).toBeLessThanOrEqual(1)
  })

  it('rates the empty password very weak', () => {
    expect(rate('')).toMatchObject({ score: 0, label: 'very weak', bits: 0 })
  })

  it('uses a stricter scale than zxcvbn\'s: 10^14 guesses for strong', () => {
    expect([5.9, 6, 9.9, 10, 11.9, 12, 13.9, 14, 20].map(scoreFor)).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4])
    expect([0.5, 1, 59, 3600, 86400 * 3, 86400 * 400, 1e12].map(describeDuration)).toEqual(['less than a second', '1 second', '59 seconds', '1 hour', '3 days', '1 year', 'centuries'])
  })
})
