/**
 * Where the client keeps its store: KYSO_DATA_DIR, else the per-user application data folder of
 * the OS (what Electron's app.getPath('userData') would also pick for the product name "Kyso").
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.KYSO_DATA_DIR) return env.KYSO_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Kyso');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Kyso');
  // XDG: an explicit XDG_DATA_HOME wins over ~/.local/share.
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'kyso');
}
