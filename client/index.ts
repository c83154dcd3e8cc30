export * from './incidents';
export * from './decisions';
export * from './commands';
export { EngineUnavailableError } from './engine';
export { isTimeout } from './engine';
export type { DecisionEngine, DecideUpdateOutcome } from './decision-engine';
