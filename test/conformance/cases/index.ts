import { pathCases } from './path.js'
import { trustlessCases } from './trustless.js'
import type { ConformanceCase } from '../types.js'

export const allCases: ConformanceCase[] = [...trustlessCases, ...pathCases]
