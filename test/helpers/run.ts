// Runs an external program (openssl, softhsm2-util, pkcs11-tool…) without a shell, so arguments
// with spaces or Vietnamese text reach the program exactly as written.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** Replaces the environment entirely when given; merge with process.env yourself if needed. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin is closed immediately. */
  input?: string | Uint8Array;
  /** Kills the process (SIGKILL) after this many milliseconds. Default 30 s. */
  timeoutMs?: number;
  /** Output beyond this many bytes per stream is dropped, so a runaway tool cannot eat memory. */
  maxOutputBytes?: number;
}

export interface RunResult {
  command: string;
  args: readonly string[];
  /** Exit code, or null when the process was killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Raw stdout, for binary outputs such as DER. */
  stdoutBytes: Buffer;
  timedOut: boolean;
}

export class RunError extends Error {
  readonly result: RunResult;
  constructor(result: RunResult) {
    const why = result.timedOut
      ? 'timed out'
      : result.signal !== null
        ? `killed by ${result.signal}`
        : `exited with ${String(result.status)}`;
    super(`${result.command} ${result.args.join(' ')} ${why}\n${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'RunError';
    this.result = result;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Runs a command and resolves with its outcome whatever the exit status; rejects only if it cannot start. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (outLen < maxBytes) out.push(chunk);
      outLen += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errLen < maxBytes) err.push(chunk);
      errLen += chunk.length;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        command,
        args,
        status,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        timedOut,
      });
    });
    // A tool that exits before reading stdin would make the write fail with EPIPE; that is not our error.
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Like run(), but rejects with a RunError carrying stderr unless the exit status is 0. */
export async function runOk(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, opts);
  if (result.status !== 0) throw new RunError(result);
  return result;
}
