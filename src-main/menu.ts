/**
 * The native menu, in the chosen language, as a pure template builder (tested without the
 * Electron binary). Screen items send the renderer a typed 'navigate' event.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { Screen } from '../src-shared/api/ui-types.js';
import type { Locale, MessageKey } from '../src-shared/i18n/messages.js';
import { t } from '../src-shared/i18n/translate.js';

export interface MenuActions {
  navigate(to: Screen): void;
  openGuide(): void;
  about(): void;
}

export function menuTemplate(
  locale: Locale,
  a: MenuActions,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  const l = (k: MessageKey): string => t(locale, k);
  const go = (to: Screen, key: MessageKey, n: number): MenuItemConstructorOptions => ({
    label: l(key),
    accelerator: `Alt+${n}`,
    click: () => a.navigate(to),
  });
  return [
    {
      label: l('ui.menu.file'),
      submenu: [
        { label: l('ui.menu.openPdf'), accelerator: 'CmdOrCtrl+O', click: () => a.navigate('verify') },
        { type: 'separator' },
        platform === 'darwin'
          ? { role: 'quit', label: l('ui.menu.quit') }
          : { role: 'quit', label: l('ui.menu.quit'), accelerator: 'Ctrl+Q' },
      ],
    },
    {
      label: l('ui.menu.edit'),
      submenu: [
        { role: 'undo', label: l('ui.menu.undo') },
        { role: 'redo', label: l('ui.menu.redo') },
        { type: 'separator' },
        { role: 'cut', label: l('ui.menu.cut') },
        { role: 'copy', label: l('ui.menu.copy') },
        { role: 'paste', label: l('ui.menu.paste') },
        { role: 'selectAll', label: l('ui.menu.selectAll') },
      ],
    },
    {
      label: l('ui.menu.view'),
      submenu: [
        go('queue', 'nav.queue', 1),
        go('verify', 'nav.verify', 2),
        go('outbox', 'ui.nav.outbox', 3),
        go('settings', 'nav.settings', 4),
        go('diagnostics', 'ui.nav.diagnostics', 5),
        { type: 'separator' },
        { role: 'zoomIn', label: l('ui.menu.zoomIn') },
        { role: 'zoomOut', label: l('ui.menu.zoomOut') },
        { role: 'resetZoom', label: l('ui.menu.resetZoom') },
        { role: 'togglefullscreen', label: l('ui.menu.fullscreen') },
      ],
    },
    {
      label: l('ui.menu.window'),
      submenu: [
        { role: 'minimize', label: l('ui.menu.minimize') },
        { role: 'close', label: l('ui.menu.close') },
      ],
    },
    {
      label: l('ui.menu.help'),
      submenu: [
        { label: l('ui.menu.userGuide'), click: () => a.openGuide() },
        { label: l('ui.menu.about'), click: () => a.about() },
      ],
    },
  ];
}
