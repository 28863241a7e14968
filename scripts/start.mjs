#!/usr/bin/env node
// `npm start`: the desktop app where the Electron binary exists; otherwise the same UI in the
// browser. With nothing configured (no KYSO_SERVER_URL), the browser mode starts `kyso demo`: the
// reference server with Vietnamese sample documents and a SoftHSM demo token, so a new user sees
// the whole flow; with a server configured it starts plain `kyso ui`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

let electronPath = null;
try {
  const p = createRequire(import.meta.url)('electron');
  if (typeof p === 'string' && existsSync(p)) electronPath = p;
} catch {
  electronPath = null;
}
const [cmd, args] = electronPath
  ? [electronPath, ['.']]
  : [process.execPath, ['bin/kyso', process.env.KYSO_SERVER_URL ? 'ui' : 'demo', ...process.argv.slice(2)]];
if (!electronPath) console.error('Electron binary not installed: starting browser mode.');
const child = spawn(cmd, args, { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
