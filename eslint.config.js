import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tourniquet from './tools/lint/no-import-cycle.js';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The layers (docs/development.md#layers): each run-time folder and the folders it may import.
 * Anything else in the project (another run-time folder, tools/, test/, bench/) is refused, type
 * imports included. test/, bench/ and tools/ may import anything.
 */
export const LAYERS = {
  workflows: [],
  redaction: ['workflows'],
  activities: ['workflows', 'redaction'],
  // activities as types only (proxyActivities): the sandbox rule below refuses value imports
  playbooks: ['workflows', 'activities'],
  client: ['workflows', 'redaction', 'activities', 'playbooks'],
  worker: ['workflows', 'redaction', 'activities', 'playbooks'],
  gateway: ['workflows', 'redaction', 'activities', 'playbooks', 'client', 'worker'],
  cli: ['workflows', 'redaction', 'activities', 'playbooks', 'client', 'worker', 'gateway'],
};
const PROJECT_FOLDERS = [...Object.keys(LAYERS), 'tools', 'test', 'bench'];

const layerZones = [
  ...Object.entries(LAYERS).map(([folder, allowed]) => ({
    target: folder,
    from: PROJECT_FOLDERS.filter((f) => f !== folder && !allowed.includes(f)),
    // `tourniquet dev` installs the dev server's binary on first use, as `npm run dev` does
    ...(folder === 'cli' ? { except: ['./temporal-binaries.ts'] } : {}),
    message: `${folder}/ may import only ${allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'itself'} (docs/development.md#layers)`,
  })),
  {
    target: 'cli/**/!(dev).ts',
    from: ['tools/**'],
    message: 'only cli/dev.ts may use the installers in tools/ (docs/development.md#layers)',
  },
  {
    target: 'gateway',
    from: ['worker/worker.ts', 'worker/main.ts', 'worker/workflows.ts'],
    message:
      "the gateway uses the worker's configuration and connections, never the worker itself or its workflow bundle (docs/development.md#layers)",
  },
];

// One catalogue of failure types (workflows/failure-types.ts): no type spelled at a throw site.
const failureTypeSelectors = [
  {
    selector:
      "CallExpression[callee.object.name='ApplicationFailure'][callee.property.name=/^(nonRetryable|retryable)$/][arguments.1.type=/^(Literal|TemplateLiteral)$/]",
    message: 'failure types come from FAILURE_TYPES (workflows/failure-types.ts), never a string',
  },
  {
    selector:
      "CallExpression[callee.object.name='ApplicationFailure'][callee.property.name='create'] > ObjectExpression > Property[key.name='type'][value.type=/^(Literal|TemplateLiteral)$/]",
    message: 'failure types come from FAILURE_TYPES (workflows/failure-types.ts), never a string',
  },
];

// zod is shared by every workflow and deep-frozen by the SDK (workflows/shared-libraries.ts), its
// module-level regexes included; these checks reset `lastIndex` on one of those regexes, which throws
// a TypeError on every parse once frozen. Spell the pattern with `.regex(/…/)` instead.
const frozenZodRegexFormats = 'email|guid|nanoid|cuid2?|ulid|xid|ksuid|ipv4|cidrv4|e164|lowercase|uppercase';
const frozenZodRegexSelectors = [
  `CallExpression[callee.object.name='z'][callee.property.name=/^(${frozenZodRegexFormats})$/]`,
  `CallExpression[callee.object.type='CallExpression'][callee.property.name=/^(${frozenZodRegexFormats})$/]`,
  "CallExpression[callee.object.property.name='iso'][callee.property.name=/^(date|duration)$/]",
].map((selector) => ({
  selector,
  message:
    'in workflow code this zod check tests a regex zod keeps at module level, frozen with the shared zod (workflows/shared-libraries.ts): every parse throws a TypeError. Use .regex(/…/)',
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'test/histories/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX, tourniquet },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: import.meta.dirname })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
      'tourniquet/no-import-cycle': 'error',
      'no-restricted-syntax': ['error', ...failureTypeSelectors],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node APIs, no activity code.
    files: ['workflows/**/*.ts', 'playbooks/**/*.ts', 'worker/workflows.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...failureTypeSelectors, ...frozenZodRegexSelectors],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflow code is deterministic: no Node built-ins' })),
          patterns: [{ group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'import activities as types only' }],
        },
      ],
    },
  },
  {
    // Playbooks go through the engine's step helpers; proxying activities directly would let a
    // destructive activity run without its approval gate.
    files: ['playbooks/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow code is deterministic: no Node built-ins' })),
            {
              name: '@temporalio/workflow',
              message: 'playbooks use the step helpers (ctx.evidence/destructive/verify), never activities directly',
            },
          ],
          patterns: [{ group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'import activities as types only' }],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
