/**
 * Where this checkout or install of Tourniquet is: the shipped defaults (config/, .data/) are found
 * from here. Its own module so the run-time code does not reach into tools/ (the installers) for it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
