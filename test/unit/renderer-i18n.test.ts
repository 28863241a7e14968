// Every string the desktop UI shows exists in Vietnamese and English, with the same placeholders;
// every key the renderer and the Electron menus name is in the tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { en, vi } from '../../src-shared/i18n/messages.js';
import { menuTemplate } from '../../src-main/menu.js';

const placeholders = (s: string): string[] => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).sort();

test('ui.* strings: both languages, not empty, same placeholders, Vietnamese really Vietnamese', () => {
  const keys = Object.keys(vi).filter((k) => k.startsWith('ui.'));
  assert.ok(keys.length > 300, `${keys.length} keys`);
  for (const k of keys) {
    const v = vi[k as keyof typeof vi];
    const e = en[k as keyof typeof en];
    assert.ok(v.trim() && e.trim(), k);
    assert.deepEqual(placeholders(v), placeholders(e), k);
  }
  const withDiacritics = keys.filter((k) => /[ăâđêôơưàảãáạèẻẽéẹìỉĩíịòỏõóọùủũúụỳỷỹýỵ]/i.test(vi[k as keyof typeof vi]));
  assert.ok(withDiacritics.length / keys.length > 0.8, 'Vietnamese strings are written with their diacritics');
});

test('every message key used by the renderer and the service exists', () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(n)) files.push(p);
    }
  };
  ['src-renderer', 'src-core/service', 'src-main'].forEach(walk);
  const missing: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/'((?:ui|nav|app|token|tokens|queue|error)\.[A-Za-z0-9.-]+)'/g)) {
      const key = m[1]!;
      if (['app.info', 'app.setLocale', 'queue.list', 'tokens.state', 'tokens.refresh'].includes(key)) continue; // channels
      if (!(key in vi)) missing.push(`${f}: ${key}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the native menu is in the chosen language and its screen items navigate', () => {
  const went: string[] = [];
  const actions = { navigate: (s: string) => went.push(s), openGuide: () => undefined, about: () => undefined };
  const viMenu = menuTemplate('vi', actions, 'linux');
  const enMenu = menuTemplate('en', actions, 'linux');
  assert.deepEqual(
    viMenu.map((m) => m.label),
    ['Tệp', 'Sửa', 'Xem', 'Cửa sổ', 'Trợ giúp'],
  );
  assert.deepEqual(
    enMenu.map((m) => m.label),
    ['File', 'Edit', 'View', 'Window', 'Help'],
  );
  const view = viMenu[2]!.submenu as Array<{ label?: string; accelerator?: string; click?: () => void }>;
  assert.equal(view[0]!.label, 'Văn bản chờ xử lý');
  assert.equal(view[0]!.accelerator, 'Alt+1');
  view.slice(0, 5).forEach((i) => i.click?.());
  assert.deepEqual(went, ['queue', 'verify', 'outbox', 'settings', 'diagnostics']);
});
