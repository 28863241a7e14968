/**
 * One settings model for the whole app. The keys are the API contract's (src-shared ui-types
 * Settings), stored as plain data: the images as file paths, plus `updateUrl`, which only an
 * IT department's preset can set. The user's settings file, the enterprise preset
 * (docs/enterprise-config.md) and the Settings screen all use these names.
 */
import { z } from 'zod';
import { SETTING_KEYS, Settings, type SettingKey } from '../../src-shared/api/ui-types.js';
import type { Locale } from '../../src-shared/i18n/messages.js';

const HttpUrlOrEmpty = z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]);
const ImagePath = z.string().min(1).max(4096).nullable();

export const StoredSettingsSchema = Settings.omit({ signatureImage: true, sealImage: true })
  .extend({
    signatureImage: ImagePath,
    sealImage: ImagePath,
    /** The organisation's update server (electron-updater generic provider); '' for none. */
    updateUrl: HttpUrlOrEmpty,
  })
  .strict();
export type StoredSettings = z.infer<typeof StoredSettingsSchema>;

/** Any subset of the keys, each validated (the enterprise preset, the user's file). */
export const PartialSettingsSchema = StoredSettingsSchema.partial().strict();
export type PartialSettings = z.infer<typeof PartialSettingsSchema>;

// The contract's key list and this schema must name the same settings.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameKeys: Same<SettingKey, keyof StoredSettings> = true;
void sameKeys;

/** Keys a user may never set, not even by editing the settings file: only the IT preset can. */
export const ENTERPRISE_ONLY: ReadonlySet<SettingKey> = new Set<SettingKey>(['updateUrl']);

export const isSettingKey = (k: string): k is SettingKey => (SETTING_KEYS as readonly string[]).includes(k);

export const BUILT_IN_DEFAULTS = (locale: Locale): StoredSettings => ({
  serverUrl: '',
  modulePaths: [],
  tsaUrl: '',
  level: 'B-B',
  revocationMode: 'online',
  locale,
  proxy: '',
  trustFiles: [],
  signatureImage: null,
  sealImage: null,
  updateUrl: '',
});

const list = (v: string | undefined): string[] =>
  (v ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);

/**
 * Launch-time defaults from the environment (what `kyso demo`, the tests and scripted
 * installs use). They sit between the built-in defaults and the enterprise preset.
 */
export function envSettings(env: NodeJS.ProcessEnv): PartialSettings {
  const out: Record<string, unknown> = {};
  if (env.KYSO_SERVER_URL) out.serverUrl = env.KYSO_SERVER_URL;
  if (env.KYSO_TSA_URL) out.tsaUrl = env.KYSO_TSA_URL;
  const level = env.KYSO_LEVEL;
  if (level === 'B-B' || level === 'B-T' || level === 'B-LT' || level === 'B-LTA') out.level = level;
  else if (env.KYSO_TSA_URL) out.level = 'B-T';
  if (env.KYSO_OFFLINE === '1') out.revocationMode = 'offline';
  if (env.KYSO_PROXY) out.proxy = env.KYSO_PROXY;
  if (env.KYSO_TRUST_FILES) out.trustFiles = list(env.KYSO_TRUST_FILES);
  if (env.KYSO_SIGNATURE_IMAGE) out.signatureImage = env.KYSO_SIGNATURE_IMAGE;
  if (env.KYSO_SEAL_IMAGE) out.sealImage = env.KYSO_SEAL_IMAGE;
  // A bad value in the environment is dropped field by field, like a damaged settings file.
  return validFields(out).valid;
}

/**
 * Keeps the fields that pass their own schema and names the others: a damaged or outdated file
 * costs the bad fields, not the whole file.
 */
export function validFields(raw: unknown): { valid: PartialSettings; dropped: string[] } {
  const valid: Record<string, unknown> = {};
  const dropped: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { valid: {}, dropped: [] };
  const shape = StoredSettingsSchema.shape as Record<SettingKey, z.ZodType>;
  for (const [k, v] of Object.entries(raw)) {
    if (!isSettingKey(k)) {
      dropped.push(k);
      continue;
    }
    const r = shape[k].safeParse(v);
    if (r.success) valid[k] = r.data;
    else dropped.push(k);
  }
  return { valid: valid as PartialSettings, dropped };
}
