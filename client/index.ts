export * from './incidents';
export * from './decisions';
