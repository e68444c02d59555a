/** Text of errors quoted inside other errors: never "undefined", no "..", no advice said twice. */
import { describe, expect, it } from 'vitest'
import { describeCause } from '../../../src/app/node-service.js'
import { briefCause } from '../../../src/core/errors.js'

describe('describeCause (dial failures)', () => {
  it('lists the distinct reasons inside an AggregateError', () => {
    const err = new AggregateError([new Error('connection refused'), new Error('timed out.'), new Error('connection refused')], 'All promises were rejected')
    expect(describeCause(err)).toBe('every address failed (connection refused; timed out)')
  })

  it('gives the one reason of a single-error AggregateError plainly', () => {
    expect(describeCause(new AggregateError([new Error('no route to host')]))).toBe('no route to host')
  })

  it('describes things thrown that are not Errors', () => {
    expect(describeCause('refused')).toBe('refused')
    expect(describeCause({ message: 'stream reset' })).toBe('stream reset')
    expect(describeCause({ code: 'ECONNRESET' })).toBe('{"code":"ECONNRESET"}')
    expect(describeCause(undefined)).toBe('no reason given')
    expect(describeCause(new Error(''))).toBe('Error')
  })

  it('never ends in a full stop (the caller adds one)', () => {
    expect(describeCause(new Error('The peer hung up.'))).toBe('The peer hung up')
  })
})

describe('briefCause (quoted causes)', () => {
  it('keeps the first sentence and drops its full stop and advice', () => {
    const inner = new Error('No valid record was found for k51abc (no router has one). Check the name and the routers, or ask the publisher to republish.')
    const outer = `The repository name k51abc could not be resolved: ${briefCause(inner)}. Check the name and the routing URL.`
    expect(outer).toBe('The repository name k51abc could not be resolved: No valid record was found for k51abc (no router has one). Check the name and the routing URL.')
    expect(outer).not.toContain('..')
    expect(outer.match(/Check the name/g)).toHaveLength(1)
  })

  it('never says undefined', () => {
    expect(briefCause(undefined)).toBe('no reason given')
    expect(briefCause(new Error(''))).toBe('Error')
  })
})
