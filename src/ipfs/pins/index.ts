/**
 * Pin, unpin, list pins, garbage-collect, and add-then-pin, against a Helia node.
 * @module
 */
export { addAndPin, collectGarbage, isPinned, listPins, pin, unpin } from './pins.js'
export type { AddAndPinOptions, GcProgressEvents, GcResult, PinInfo, PinNode, PinOptions, PinProgressEvents, PinResult } from './pins.js'
export { withExclusiveLock, withSharedLock } from './lock.js'
export { NotPinnedError, PinBlockMissingError } from './errors.js'
