import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';

/** Runs the built `kyso` binary (npm run build) as a user would. */
export const KYSO_BIN = 'bin/kyso';

export function kysoBuilt(): boolean {
  return existsSync('dist/cli/kyso.cjs') && existsSync('dist/renderer/index.html');
}

export interface UiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `kyso ui --no-open` and waits for the launch URL on stdout. */
export async function startKysoUi(env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [KYSO_BIN, 'ui', '--no-open'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kyso ui printed no URL: ${stderr}`)), 15000);
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`kyso ui exited ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
