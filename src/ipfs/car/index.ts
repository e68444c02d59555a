/**
 * CAR import (verified, pinned) and export (streaming, local blocks only).
 * @module
 */
export { exportCar, importCar, readCar } from './car.js'
export type { CarBlock, CarExportProgressEvents, CarImportOptions, CarImportProgressEvents, CarImportResult } from './car.js'
export { linksOf, readBlock, walkDag } from './walk.js'
export type { ReadableStore, WalkedBlock } from './walk.js'
export { BadBlockError, InvalidCarError, MissingBlockError, TruncatedCarError, UnsupportedCodecError } from './errors.js'
