/**
 * The `kyso` command. Every failure ends as one translated line on stderr and a contract exit
 * code (exit-codes.ts), never a stack trace.
 */
import { COMMANDS, commandHelp, mainHelp } from './help.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { cliLocale } from './locale.js';
import type { CliContext } from './context.js';
import { runUi } from './commands/ui.js';
import { runTokens } from './commands/tokens.js';
import { runSign } from './commands/sign.js';
import { runBatch } from './commands/batch.js';
import { runVerify } from './commands/verify.js';
import { runSync } from './commands/sync.js';
import { runQueue } from './commands/queue.js';
import { runSettings } from './commands/settings.js';
import { KysoError, toErrorValue } from '../../src-shared/errors.js';
import { errorText } from '../../src-shared/i18n/translate.js';
import { VERSION } from '../version.js';

export type Runner = (args: string[], ctx: CliContext) => Promise<number>;

const RUNNERS: Partial<Record<string, Runner>> = {
  ui: runUi,
  tokens: runTokens,
  sign: runSign,
  batch: runBatch,
  verify: runVerify,
  sync: runSync,
  queue: runQueue,
  settings: runSettings,
};

/**
 * Runs one `kyso` command. `extra` adds runners from layers above src-core (the server), which
 * src-core may not import; src-cli/entry.ts passes them.
 */
export async function runCli(
  argv: string[],
  ctx: CliContext,
  extra: Partial<Record<string, Runner>> = {},
): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      ctx.stdout.write(mainHelp(VERSION));
      return cmd === undefined ? EXIT.USAGE : EXIT.OK;
    }
    if (cmd === '--version' || cmd === '-V') {
      ctx.stdout.write(`${VERSION}\n`);
      return EXIT.OK;
    }
    const help = COMMANDS[cmd];
    if (!help) throw new KysoError('USAGE', 'error.unknownCommand', { command: cmd });
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.stdout.write(commandHelp(cmd, help));
      return EXIT.OK;
    }
    const runner = extra[cmd] ?? RUNNERS[cmd];
    if (!runner) throw new KysoError('NOT_IMPLEMENTED', 'error.notImplemented', { feature: `kyso ${cmd}` });
    return await runner(rest, ctx);
  } catch (e) {
    const value = isParseArgsError(e)
      ? { code: 'USAGE' as const, messageKey: 'error.usage' as const, params: { detail: e.message } }
      : toErrorValue(e);
    ctx.stderr.write(`kyso: ${errorText(ctx.locale, value)}\n`);
    if (value.code === 'INTERNAL' && ctx.env.KYSO_DEBUG === '1' && e instanceof Error) {
      ctx.stderr.write(`${e.stack ?? e.message}\n`);
    }
    return exitCodeFor(value.code);
  }
}

function isParseArgsError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  const code: unknown = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export async function main(extra: Partial<Record<string, Runner>> = {}): Promise<void> {
  const code = await runCli(
    process.argv.slice(2),
    { locale: cliLocale(), stdout: process.stdout, stderr: process.stderr, env: process.env },
    extra,
  );
  process.exitCode = code;
}
