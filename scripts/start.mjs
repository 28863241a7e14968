#!/usr/bin/env node
// `npm start`: the desktop app where the Electron binary exists; otherwise the same UI in the
// browser through the localhost bridge (machines where Electron cannot be downloaded).
//
// Nothing configured yet (no settings in the data folder, no KYSO_SERVER_URL)? Then the app opens
// on the embedded default — `kyso demo`: the reference server with sample documents on 127.0.0.1
// and, where SoftHSM2 is installed, a demo token — so a new user sees the whole flow at once.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

function dataDir(env = process.env) {
  if (env.KYSO_DATA_DIR) return env.KYSO_DATA_DIR;
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'KySo');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'KySo');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'kyso');
}

let electronPath = null;
try {
  const p = createRequire(import.meta.url)('electron');
  if (typeof p === 'string' && existsSync(p)) electronPath = p;
} catch {
  electronPath = null;
}

const args = process.argv.slice(2);
const configured = Boolean(process.env.KYSO_SERVER_URL) || existsSync(join(dataDir(), 'settings.json'));
const children = [];
const run = (cmd, argv, opts = {}) => {
  const child = spawn(cmd, argv, { stdio: 'inherit', ...opts });
  children.push(child);
  return child;
};
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => children.forEach((c) => c.kill(s)));

if (configured) {
  if (!electronPath) console.error('Electron binary not installed: starting browser mode (kyso ui).');
  const child = electronPath ? run(electronPath, ['.', ...args]) : run(process.execPath, ['bin/kyso', 'ui', ...args]);
  child.on('exit', (code) => process.exit(code ?? 0));
} else if (!electronPath) {
  console.error('Nothing configured yet: starting the demo (kyso demo) in browser mode.');
  const child = run(process.execPath, ['bin/kyso', 'demo', ...args]);
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  // The demo's server and token in the background; the app pointed at them.
  console.error('Nothing configured yet: starting the demo server and token for the app (kyso demo).');
  const demo = run(process.execPath, ['bin/kyso', 'demo', '--no-ui', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: demo.stdout }).once('line', (line) => {
    const info = JSON.parse(line);
    if (info.pin) console.error(`Demo token PIN: ${info.pin}`);
    const app = run(electronPath, ['.', ...args], { env: { ...process.env, ...info.env } });
    app.on('exit', (code) => {
      demo.kill('SIGTERM');
      process.exit(code ?? 0);
    });
  });
  demo.on('exit', (code) => {
    if (code) process.exit(code);
  });
}
