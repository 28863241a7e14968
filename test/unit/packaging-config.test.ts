// Reads electron-builder.yml and package.json: the targets IT departments need, native addons
// unpacked from asar, and the Electron fuses that close run-as-node and inspector back doors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface Target {
  target: string;
}
const cfg = parse(readFileSync('electron-builder.yml', 'utf8')) as {
  appId: string;
  productName: string;
  asar: boolean;
  asarUnpack: string[];
  files: string[];
  extraResources: Array<{ from: string }>;
  electronFuses: Record<string, boolean>;
  win: { target: Target[]; signtoolOptions: { publisherName: string[]; sign: string } };
  publish: { provider: string; url: string };
  nsis: { perMachine: boolean };
  linux: { target: string[] };
  mac: { target: string[] };
};
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; productName: string; main: string };

test('identity and entry point', () => {
  assert.equal(pkg.name, 'kyso-desktop');
  assert.equal(pkg.productName, 'Ký Số');
  assert.equal(cfg.productName, 'Ký Số');
  assert.match(cfg.appId, /^[a-z]+(\.[a-z]+)+$/);
  assert.equal(pkg.main, 'dist/main/main.cjs');
  assert.ok(cfg.files.includes('dist/main/**') && cfg.files.includes('dist/renderer/**'));
});

test('targets: Windows NSIS + MSI per machine, Linux deb + AppImage, macOS dmg', () => {
  assert.deepEqual(cfg.win.target.map((t) => t.target).sort(), ['msi', 'nsis']);
  assert.equal(cfg.nsis.perMachine, true);
  assert.deepEqual([...cfg.linux.target].sort(), ['AppImage', 'deb']);
  assert.deepEqual(cfg.mac.target, ['dmg']);
});

test('native .node files are unpacked from asar; resources ship', () => {
  assert.equal(cfg.asar, true);
  assert.ok(cfg.asarUnpack.includes('**/*.node'));
  assert.ok(cfg.extraResources.some((r) => r.from === 'resources'));
});

test('fuses: no run-as-node, no NODE_OPTIONS, no inspector, asar integrity, app only from asar', () => {
  const f = cfg.electronFuses;
  assert.equal(f.runAsNode, false);
  assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(f.enableNodeCliInspectArguments, false);
  assert.equal(f.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(f.onlyLoadAppFromAsar, true);
  assert.equal(f.enableCookieEncryption, true);
});

test('updates from a generic server; Windows builds signed through the organisation hook', async () => {
  assert.equal(cfg.publish.provider, 'generic');
  assert.match(cfg.publish.url, /^https:\/\//);
  assert.ok(cfg.win.signtoolOptions.publisherName.length > 0, 'updates are checked against a publisher');
  const hook = (await import(`../../${cfg.win.signtoolOptions.sign}`)) as {
    default: (c: { path: string }) => Promise<void>;
  };
  assert.equal(typeof hook.default, 'function');
  const saved = process.env.KYSO_CODESIGN_CMD;
  delete process.env.KYSO_CODESIGN_CMD;
  await hook.default({ path: '/nonexistent/setup.exe' }); // no command: leaves the file, says so
  if (saved !== undefined) process.env.KYSO_CODESIGN_CMD = saved;
});
