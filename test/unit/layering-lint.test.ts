// Proves the layering is enforced by lint: each forbidden import below must be an error, and
// the allowed directions must lint clean. Uses ESLint's API on in-memory text at real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result, 'eslint returned no result');
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

const forbidden: Array<[string, string, RegExp]> = [
  [
    'src-renderer/probe.tsx',
    "import { x } from '../src-core/version';\nexport const y = x;\n",
    /renderer imports src-shared only/,
  ],
  ['src-renderer/probe.tsx', "import { readFile } from 'node:fs';\nexport const y = readFile;\n", /API contract/],
  ['src-renderer/probe.tsx', "import { app } from 'electron';\nexport const y = app;\n", /API contract/],
  [
    'src-renderer/probe.tsx',
    "import { x } from '../src-main/app-origin';\nexport const y = x;\n",
    /renderer imports src-shared only/,
  ],
  ['src-core/probe.ts', "import { app } from 'electron';\nexport const y = app;\n", /never imports electron/],
  ['src-core/probe.ts', "import Store from 'electron-store';\nexport const y = Store;\n", /never imports electron/],
  [
    'src-core/probe.ts',
    "import { APP_ORIGIN } from '../src-main/app-origin';\nexport const y = APP_ORIGIN;\n",
    /src-core imports only src-shared/,
  ],
  [
    'src-shared/probe.ts',
    "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n",
    /pure TypeScript/,
  ],
  ['src-shared/probe.ts', "import fs from 'fs';\nexport const y = fs;\n", /pure TypeScript/],
  [
    'src-shared/probe.ts',
    "import { VERSION } from '../src-core/version';\nexport const y = VERSION;\n",
    /imports nothing above/,
  ],
  ['src-shared/probe.ts', 'export const y = () => window.location.href;\n', /no-restricted-globals/],
  [
    'src-server/probe.ts',
    "import { APP_ORIGIN } from '../src-main/app-origin';\nexport const y = APP_ORIGIN;\n",
    /src-server imports/,
  ],
  ['src-main/probe.ts', "import { ipcMain } from 'electron';\nipcMain.handle('x', () => 1);\n", /typed IPC wrappers/],
];

for (const [file, code, expected] of forbidden) {
  test(`lint rejects: ${file} ${code.split('\n')[0]}`, async () => {
    const errors = await errorsFor(file, code);
    assert.ok(
      errors.some((e) => expected.test(e)),
      `expected an error matching ${expected}, got: ${errors.join(' | ') || 'none'}`,
    );
  });
}

const allowed: Array<[string, string]> = [
  ['src-renderer/probe.tsx', "import { t } from '../src-shared/i18n/translate';\nexport const y = t;\n"],
  ['src-core/probe.ts', "import { t } from '../src-shared/i18n/translate.js';\nexport const y = t;\n"],
  ['src-main/probe.ts', "import { VERSION } from '../src-core/version.js';\nexport const y = VERSION;\n"],
  ['src-server/probe.ts', "import { VERSION } from '../src-core/version.js';\nexport const y = VERSION;\n"],
];

for (const [file, code] of allowed) {
  test(`lint accepts: ${file} ${code.split('\n')[0]}`, async () => {
    assert.deepEqual(await errorsFor(file, code), []);
  });
}
