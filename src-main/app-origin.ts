/**
 * The renderer is served from our own privileged scheme, not file://, so that the CSP's 'self'
 * means exactly our bundle and module scripts load with a real origin.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'kyso';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}
