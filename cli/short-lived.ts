/**
 * Settings for a process that runs one command and exits, made before any other module loads
 * (cli/main.ts imports this first). Each trades work that pays off over a long-running process for
 * none, without changing what anything computes.
 */
import { config } from 'zod/v4/core';

// zod compiles every object schema into a specialised parser (new Function) the first time it
// parses with it: a gain for a server parsing one shape for hours, a loss for a command parsing each
// shape once (loading the configuration alone spent tens of ms compiling). Results are the same.
// Read when a schema is built, hence before any module that defines one.
config({ jitless: true });
