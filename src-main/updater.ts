/**
 * Updates from the organisation's own generic server (settings.updateUrl, usually locked by the
 * enterprise preset). electron-updater checks the SHA-512 of the download against latest.yml
 * and, on Windows, the installer's Authenticode signature against `publisherName` from
 * electron-builder.yml — an update signed by anyone else is refused. Nothing is installed
 * without the user's consent; no update server is contacted when none is configured.
 */
import type { AppUpdater } from 'electron-updater';

export interface UpdaterOptions {
  updateUrl: string | undefined;
  /** Asks the user; resolves true to install now. */
  confirmInstall(version: string): Promise<boolean>;
  log(event: string, data?: Record<string, unknown>): void;
}

export async function startUpdater(updater: AppUpdater, o: UpdaterOptions): Promise<void> {
  if (!o.updateUrl) {
    o.log('update.disabled');
    return;
  }
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = false;
  updater.allowDowngrade = false;
  updater.allowPrerelease = false;
  updater.setFeedURL({ provider: 'generic', url: o.updateUrl });
  updater.on('error', (e: Error) => o.log('update.error', { message: e.message }));
  const result = await updater.checkForUpdates();
  const version = result?.updateInfo.version;
  if (!result || !version || !result.isUpdateAvailable) return;
  o.log('update.available', { version });
  await updater.downloadUpdate();
  if (await o.confirmInstall(version)) updater.quitAndInstall(false, true);
}
