/**
 * One process per data directory. Two would each refresh the same rotating refresh token (the
 * second use revokes the whole login) and could both upload from the outbox. The lock is a file
 * created with O_EXCL holding the owner's pid; a lock whose owner is gone (crash, SIGKILL) is
 * taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './atomic-fs.js';
import { SyncError } from './errors.js';

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, 'kyso-client.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
      await fh.close();
      await fsyncDir(dir);
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new SyncError('STORE_LOCKED', 'sync.error.storeLocked', { dir, pid: owner });
      }
      // Stale (or unreadable: a crash between create and write). Remove and try again.
      await unlink(path).catch(() => undefined);
    }
  }
  throw new SyncError('STORE_LOCKED', 'sync.error.storeLocked', { dir, pid: 0 });
}
