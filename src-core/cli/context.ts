import type { Locale } from '../../src-shared/i18n/messages.js';

export interface CliContext {
  locale: Locale;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}
