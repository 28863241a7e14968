/**
 * The service's settings: the one model of src-core/config (defaults, environment, the IT
 * department's enterprise preset with locked keys, the user's choices) over a backend — the
 * settings.json file in the data folder by default, electron-store in the Electron app.
 */
import { join } from 'node:path';
import type { Locale } from '../../src-shared/i18n/messages.js';
import { enterpriseConfigPath, loadEnterprise } from '../config/enterprise-config.js';
import { FileSettingsBackend, SETTINGS_FILE, type SettingsBackend } from '../config/settings-backend.js';
import { envSettings } from '../config/settings-schema.js';
import { SettingsStore } from '../config/settings-store.js';

export type { StoredSettings } from '../config/settings-schema.js';
export { SettingsStore } from '../config/settings-store.js';

export interface OpenSettingsOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  locale: Locale;
  /** Default: settings.json in the data folder (FileSettingsBackend). */
  backend?: SettingsBackend;
}

/** Throws CONFIG_INVALID when the enterprise preset exists but is not valid. */
export function openSettings(o: OpenSettingsOptions): SettingsStore {
  return new SettingsStore({
    backend: o.backend ?? new FileSettingsBackend(join(o.dataDir, SETTINGS_FILE)),
    enterprise: loadEnterprise(enterpriseConfigPath(o.env)),
    env: envSettings(o.env),
    locale: o.locale,
  });
}
