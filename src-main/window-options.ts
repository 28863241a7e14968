import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The main window's configuration, kept as a pure function so a test can read it without the
 * Electron binary. Every line here is a security decision: change it only with the checklist
 * in docs/security.md.
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 600,
    title: 'Ký Số',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click must not open links in new windows.
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      devTools: process.env.KYSO_DEVTOOLS === '1',
    },
  };
}
