import type { AppInfo, KysoApi } from '../../src-shared/api/contract.js';
import type { Locale } from '../../src-shared/i18n/messages.js';
import { PRODUCT_NAME, VERSION } from '../version.js';

export interface ServiceOptions {
  transport: AppInfo['transport'];
  locale: Locale;
}

/**
 * The service facade: the single implementation of the API contract. Electron IPC, the HTTP
 * bridge and the CLI all call this object, so behaviour cannot drift between transports.
 */
export function createService(opts: ServiceOptions): KysoApi {
  let locale = opts.locale;
  const info = (): AppInfo => ({
    name: PRODUCT_NAME,
    version: VERSION,
    platform: process.platform,
    transport: opts.transport,
    locale,
  });
  return {
    'app.info': async () => info(),
    'app.setLocale': async (req) => {
      locale = req.locale;
      return info();
    },
  };
}
