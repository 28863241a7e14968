import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root, found by walking up to package.json. Works from source (tsx), from the
 * esbuild bundle in dist/ and from an asar archive, where import.meta.url differs.
 */
export function projectRoot(): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(here), '..', '..');
}

export function rendererDir(): string {
  return process.env.KYSO_RENDERER_DIR ?? join(projectRoot(), 'dist', 'renderer');
}
