#!/usr/bin/env node
// Builds everything `kyso` and the app need: renderer (Vite), Electron main + preload and the
// CLI (esbuild bundles, CommonJS so the sandboxed preload and native addons load plainly).
import { build as esbuild } from 'esbuild';
import { build as vite } from 'vite';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ESM-only libraries (pdf.js) read import.meta.url; in a CJS bundle it is defined from __filename.
  define: { 'import.meta.url': '__kyso_import_meta_url' },
  banner: { js: "var __kyso_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logOverride: { 'empty-import-meta': 'silent' },
  // Native addons and Electron stay outside the bundle.
  external: ['electron', 'pkcs11js', 'graphene-pk11', 'better-sqlite3', 'pg-native', '@napi-rs/canvas'],
};

await Promise.all([
  esbuild({
    ...common,
    entryPoints: { main: 'src-main/main.ts' },
    outdir: 'dist/main',
    outExtension: { '.js': '.cjs' },
  }),
  esbuild({
    ...common,
    // The sandboxed preload may only require a few modules: no banner, no import.meta shim.
    banner: {},
    define: {},
    entryPoints: { preload: 'src-main/preload.ts' },
    outdir: 'dist/main',
    outExtension: { '.js': '.cjs' },
    sourcemap: false,
  }),
  esbuild({
    ...common,
    entryPoints: { kyso: 'src-cli/entry.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.cjs' },
  }),
  esbuild({
    ...common,
    entryPoints: { 'kyso-server': 'src-server/entry.ts' },
    outdir: 'dist/server',
    outExtension: { '.js': '.cjs' },
  }),
]);
await vite({ configFile: 'vite.config.ts', logLevel: 'warn' });
console.log('build: dist/main, dist/cli, dist/server, dist/renderer');
