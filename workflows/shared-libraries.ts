/**
 * The libraries every incident's workflow code uses, for the worker to evaluate once and share
 * (worker/worker.ts preloads this module). Named through this module because the packages declare
 * themselves free of side effects, so webpack drops a bare `require('zod')` from the preload list.
 * The SDK deep-freezes what they export, which they tolerate once warmed up (below); they keep no
 * per-workflow state. Add a library here only if the same holds for it (our own modules go in
 * SHARED_WORKFLOW_MODULES only when they are as stateless: workflows/signatures/sshsig.ts).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import ms from 'ms';
import { z } from 'zod';

export const sharedLibraries = { z, ed25519, sha256, sha512, bytesToHex, utf8ToBytes, ms };

// Frozen with zod: the regexes it keeps at module level, which some checks (z.email(), .lowercase(),
// z.iso.date() …) reset and so throw on every parse in a workflow; eslint.config.js refuses those in
// workflow code. For the same reason our own schemas cannot be shared: every `.regex()` check resets
// its pattern's lastIndex, so a frozen schema with one fails its parse.
// No parser compiled per object schema (zod's JIT: `new Function` on an object schema's first
// parse). Our schemas are built per workflow (above), so each incident compiled its own parsers for
// schemas it parses once or twice: more CPU than the interpreted parse they replace (issue 15).
// The same results either way. Set before any schema is built: each reads it when constructed.
z.config({ jitless: true });
// zod sets its defaults (the English messages, the parse memoizer) on its shared configuration the
// first time a schema is built and used: done here, before the SDK freezes that configuration.
z.object({ ready: z.string() }).safeParse({ ready: 1 });
