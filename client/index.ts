export * from './incidents';
export * from './decisions';
export * from './commands';
export { EngineUnavailableError } from './engine';
