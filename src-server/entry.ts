// Standalone entry (bundled to dist/server/kyso-server.cjs): the same as `kyso server`.
import { pickLocale } from '../src-shared/i18n/translate.js';
import { runServerCommand } from './cli.js';

const env = process.env;
const tag = [env.KYSO_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].find(
  (v) => v !== undefined && v !== '' && v !== 'C',
);
void runServerCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env,
  locale: pickLocale(tag),
}).then((code) => {
  process.exitCode = code;
});
