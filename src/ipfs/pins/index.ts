/**
 * Pin, unpin, list pins, garbage-collect, and add-then-pin, against a Helia node.
 * @module
 */
export { addAndPin, collectGarbage, isPinned, listPins, pin, pinAdded, unpin } from './pins.js'
export type { AddAndPinOptions, BatchOptions, AddPinNode, GcProgressEvents, GcResult, PinInfo, PinNode, PinOptions, PinProgressEvents, PinResult } from './pins.js'
export { withExclusiveLock, withSharedLock } from './lock.js'
export { NotPinnedError, PinBlockMissingError } from './errors.js'
export { DagTracker } from './dag-tracker.js'
export { datastorePinRecords, pinBlocks, pinKey, pinMany, pinnedBlockKey, unpinBlocks } from './pin-records.js'
export type { PinBlocksResult, PinRecordStore, PinRequest } from './pin-records.js'
export { openIdbBatchStores } from './idb-stores.js'
export type { BatchStores, BlockBatchStore, IdbBatchStores, PinMarkStore } from './idb-stores.js'
