export { buildPostmortem, assemble } from './build';
export { postmortemSchema, postmortemJsonSchema, POSTMORTEM_SCHEMA_ID, type Postmortem } from './model';
export { renderMarkdown } from './markdown';
export { renderHtml } from './html';
export { formatDuration } from './format';
