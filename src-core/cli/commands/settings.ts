/**
 * `kyso settings`: the settings in force for this user and machine, each with where it comes
 * from and whether the IT department locked it — the same store the app uses (settings.json in
 * the data folder, the enterprise preset). `kyso settings set KEY=VALUE…` changes the user's
 * own settings and is refused for a locked key like the Settings screen.
 */
import { delimiter } from 'node:path';
import { parseArgs } from 'node:util';
import { SETTING_KEYS, type SettingKey } from '../../../src-shared/api/ui-types.js';
import { KysoError } from '../../../src-shared/errors.js';
import { t } from '../../../src-shared/i18n/translate.js';
import { isSettingKey, type PartialSettings } from '../../config/settings-schema.js';
import { settingLabel } from '../../config/settings-store.js';
import { openLog } from '../../log/logger.js';
import { redactText } from '../../log/redact.js';
import { defaultDataDir, ensureDir } from '../../service/data-dir.js';
import { openSettings } from '../../service/settings-store.js';
import type { CliContext } from '../context.js';

const LISTS: ReadonlySet<SettingKey> = new Set(['modulePaths', 'trustFiles']);
const NULLABLE: ReadonlySet<SettingKey> = new Set(['signatureImage', 'sealImage']);

/** KEY=VALUE; lists use the OS path separator (":" or ";"); an empty image path clears it. */
export function parseAssignments(items: string[]): PartialSettings {
  const patch: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq) : item;
    if (eq <= 0 || !isSettingKey(key)) {
      throw new KysoError('USAGE', 'error.usage', { detail: `KEY=VALUE with KEY one of ${SETTING_KEYS.join(', ')}` });
    }
    const value = item.slice(eq + 1);
    patch[key] = LISTS.has(key)
      ? value.split(delimiter).filter(Boolean)
      : NULLABLE.has(key) && value === ''
        ? null
        : value;
  }
  return patch as PartialSettings;
}

/** Shown without URL credentials (a proxy setting may carry them). */
const show = (v: unknown): string => redactText(Array.isArray(v) ? v.join(delimiter) : v === null ? '' : String(v));

export async function runSettings(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const dataDir = ensureDir(defaultDataDir(ctx.env));
  const store = openSettings({ dataDir, env: ctx.env, locale: ctx.locale });

  if (positionals[0] === 'set') {
    if (positionals.length < 2) throw new KysoError('USAGE', 'error.usage', { detail: 'kyso settings set KEY=VALUE…' });
    const log = openLog(dataDir, ctx.env);
    try {
      const r = await store.update(parseAssignments(positionals.slice(1)));
      if (r.changed.length > 0) log.info('settings.changed', { keys: r.changed, via: 'cli' });
      ctx.stdout.write(`${t(ctx.locale, 'settings.cli.saved', { keys: r.changed.join(', ') || '—' })}\n`);
      return 0;
    } catch (e) {
      if (e instanceof KysoError && e.code === 'SETTING_LOCKED')
        log.warn('settings.refused', { keys: e.params.names, via: 'cli' });
      throw e;
    }
  }
  if (positionals.length > 0) throw new KysoError('USAGE', 'error.usage', { detail: `unexpected "${positionals[0]}"` });

  const s = store.get();
  const source = store.source();
  const locked = new Set(store.locked());
  if (values.json) {
    const out = Object.fromEntries(
      SETTING_KEYS.map((k) => [
        k,
        { value: typeof s[k] === 'string' ? redactText(s[k]) : s[k], source: source[k], locked: locked.has(k) },
      ]),
    );
    ctx.stdout.write(
      `${JSON.stringify({ file: store.location, enterprise: store.enterpriseFile, settings: out }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    t(ctx.locale, 'settings.cli.header', {
      file: store.location,
      enterprise: store.enterpriseFile ?? t(ctx.locale, 'settings.cli.noEnterprise'),
    }),
  ];
  const width = Math.max(...SETTING_KEYS.map((k) => k.length));
  for (const k of SETTING_KEYS) {
    const from = t(ctx.locale, `settings.source.${source[k]}`);
    const mark = locked.has(k) ? `, ${t(ctx.locale, 'settings.lockedMark')}` : '';
    lines.push(`  ${k.padEnd(width)}  ${show(s[k]) || '—'}  (${settingLabel(ctx.locale, k)}; ${from}${mark})`);
  }
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
