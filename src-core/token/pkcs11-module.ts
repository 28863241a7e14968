/**
 * Loading a PKCS#11 library: once per process per path (a second C_Initialize of the same
 * library is an error on many drivers), tolerating CKR_CRYPTOKI_ALREADY_INITIALIZED when the
 * host (e.g. another component) initialised it first. A library that cannot be loaded becomes a
 * clear error naming the path and the loader's reason (a missing dependency DLL shows as 126).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Pkcs11Types from 'pkcs11js';
import { KysoError } from '../../src-shared/errors.js';
import { CKR, ckrName, ckrOf } from './ckr.js';

type Pkcs11Module = typeof Pkcs11Types;
export type PKCS11 = Pkcs11Types.PKCS11;
export type Handle = Pkcs11Types.Handle;

let lib: Pkcs11Module | null = null;
/** pkcs11js is a native addon; it is loaded on first use so the CLI's --help never needs it. */
export function pkcs11js(): Pkcs11Module {
  lib ??= createRequire(__filename_or_url())('pkcs11js') as Pkcs11Module;
  return lib;
}

function __filename_or_url(): string {
  return typeof __filename === 'string' ? __filename : import.meta.url;
}

export interface LoadedModule {
  path: string;
  p11: PKCS11;
  info: { manufacturer: string; description: string; version: string };
}

const loaded = new Map<string, LoadedModule>();

export function loadModule(path: string): LoadedModule {
  const existing = loaded.get(path);
  if (existing) return existing;
  if (!existsSync(path)) throw new KysoError('MODULE_LOAD_FAILED', 'error.moduleMissing', { path });
  const { PKCS11 } = pkcs11js();
  const p11 = new PKCS11();
  try {
    p11.load(path);
  } catch (e) {
    throw new KysoError('MODULE_LOAD_FAILED', 'error.moduleLoad', { path, detail: loaderReason(e) });
  }
  try {
    p11.C_Initialize({ flags: pkcs11js().CKF_OS_LOCKING_OK });
  } catch (e) {
    const code = ckrOf(e);
    if (code !== CKR.CRYPTOKI_ALREADY_INITIALIZED) {
      throw new KysoError('MODULE_LOAD_FAILED', 'error.moduleInit', {
        path,
        ckr: code === null ? 'load' : ckrName(code),
      });
    }
  }
  const mi = p11.C_GetInfo();
  const mod: LoadedModule = {
    path,
    p11,
    info: {
      manufacturer: mi.manufacturerID.trim(),
      description: mi.libraryDescription.trim(),
      version: `${mi.libraryVersion.major}.${mi.libraryVersion.minor}`,
    },
  };
  loaded.set(path, mod);
  return mod;
}

/** Finalises every loaded module (process exit, tests). */
export function unloadAll(): void {
  for (const m of loaded.values()) {
    try {
      m.p11.C_Finalize();
    } catch {
      // Finalising a removed device can fail; there is nothing left to release.
    }
  }
  loaded.clear();
}

function loaderReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // dlopen/LoadLibrary messages name files, never secrets; keep the first line only.
  return msg.split('\n')[0]!.slice(0, 300);
}
