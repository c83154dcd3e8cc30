/** `npm run schema`: writes the JSON Schema of the postmortem export from its zod definition. */
import { writeFileSync } from 'node:fs';
import { postmortemJsonSchema } from '../client/postmortem/model';

const path = new URL('../client/postmortem/postmortem.v1.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(postmortemJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
