/**
 * The enterprise preset: a JSON file an IT department places on the machine (a per-machine path
 * per OS, writable by administrators only; KYSO_ENTERPRISE_CONFIG overrides it for tests and
 * scripted installs). It presets any setting and may lock some of them:
 *
 *   { "version": 1,
 *     "settings": { "serverUrl": "https://vanban.example.gov.vn", "revocationMode": "online" },
 *     "locked": ["serverUrl", "revocationMode"] }
 *
 * A locked key cannot be changed from the UI, the API or by editing the user's settings file.
 * A file that exists but cannot be read or is not valid stops the app with CONFIG_INVALID
 * rather than running without the policy the IT department meant to apply.
 */
import { readFileSync } from 'node:fs';
import { win32 } from 'node:path';
import { z } from 'zod';
import { SettingKey } from '../../src-shared/api/ui-types.js';
import { KysoError } from '../../src-shared/errors.js';
import { PartialSettingsSchema, type PartialSettings } from './settings-schema.js';

const EnterpriseFile = z
  .object({
    version: z.literal(1),
    settings: PartialSettingsSchema.default({}),
    /** Keys the user may not change; an unknown name is an error, not a silently open setting. */
    locked: z.array(SettingKey).default([]),
  })
  .strict();

export function enterpriseConfigPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.KYSO_ENTERPRISE_CONFIG) return env.KYSO_ENTERPRISE_CONFIG;
  if (platform === 'win32') return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Kyso', 'enterprise.json');
  if (platform === 'darwin') return '/Library/Application Support/Kyso/enterprise.json';
  return '/etc/kyso/enterprise.json';
}

export interface EnterprisePreset {
  /** The file read, or null when there is none at the path. */
  file: string | null;
  settings: PartialSettings;
  locked: ReadonlySet<SettingKey>;
}

export const NO_PRESET: EnterprisePreset = { file: null, settings: {}, locked: new Set() };

export function loadEnterprise(path: string): EnterprisePreset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return NO_PRESET;
    throw new KysoError('CONFIG_INVALID', 'config.invalid', {
      path,
      detail: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, '')); // Notepad on Windows writes a BOM
  } catch {
    throw new KysoError('CONFIG_INVALID', 'config.invalid', { path, detail: 'not JSON' });
  }
  const parsed = EnterpriseFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KysoError('CONFIG_INVALID', 'config.invalid', {
      path,
      detail: `${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`,
    });
  }
  return { file: path, settings: parsed.data.settings, locked: new Set(parsed.data.locked) };
}
