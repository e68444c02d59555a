import { describe, expect, it } from 'vitest'
import { AbortError, CairnError, InvalidInputError, errorToObject, isAbortError } from '../../../src/core/errors.js'

describe('core errors', () => {
  it('name and code follow the class', () => {
    for (const E of [CairnError, AbortError, InvalidInputError]) {
      const e = new E('x')
      expect(e.name).toBe(E.name)
      expect(e.code).toBe(E.code)
      expect(e).toBeInstanceOf(Error)
    }
  })

  it('serialises causes', () => {
    const e = new InvalidInputError('bad CID "x": paste a CID such as bafy…', { cause: new TypeError('inner') })
    expect(errorToObject(e)).toEqual({ name: 'InvalidInputError', message: 'bad CID "x": paste a CID such as bafy…', code: 'ERR_INVALID_INPUT', cause: { name: 'TypeError', message: 'inner' } })
  })

  it('recognises aborts from any source', () => {
    expect(isAbortError(new AbortError())).toBe(true)
    expect(isAbortError(new DOMException('x', 'AbortError'))).toBe(true)
    expect(isAbortError(new DOMException('x', 'TimeoutError'))).toBe(true)
    expect(isAbortError(new Error('x'))).toBe(false)
  })

  it('a subclass with declared fields gets them from the options, and never its name, code or message', () => {
    class HttpError extends CairnError<{ status: number, path?: string }> {
      static override readonly code = 'ERR_TEST_HTTP'
      declare readonly status: number
      declare readonly path: string | undefined
    }
    const cause = new TypeError('inner')
    const e = new HttpError('the server said 502: try again later', { status: 502, path: '/x', cause })
    expect(e).toMatchObject({ name: 'HttpError', code: 'ERR_TEST_HTTP', message: 'the server said 502: try again later', status: 502, path: '/x' })
    expect(e.cause).toBe(cause)
    expect(Object.keys(e)).not.toContain('cause')
    const sneaky = new CairnError('m', { code: 'ERR_OTHER', name: 'Other', message: 'other' } as ErrorOptions)
    expect(sneaky).toMatchObject({ name: 'CairnError', code: 'ERR_CAIRN', message: 'm' })
  })
})
