/**
 * What `kyso tokens` and the UI's token bar ask for: every module found, whether it loaded (and
 * why not), its tokens and their certificates. Also the lookup of one token for signing.
 */
import type { ModuleSummary, TokenSummary } from '../../src-shared/api/token-types.js';
import { KysoError, toErrorValue } from '../../src-shared/errors.js';
import { discoverModules, type DiscoveryOptions } from './module-discovery.js';
import { loadModule, type Handle, type LoadedModule } from './pkcs11-module.js';
import { readToken, readTokenIdentity, slotsWithToken } from './token-reader.js';
import { CKF } from './pin-state.js';

export function listModules(opts: DiscoveryOptions = {}): ModuleSummary[] {
  return discoverModules(opts).map((cand) => {
    const base = { path: cand.path, vendor: cand.vendor, source: cand.source };
    let mod: LoadedModule;
    try {
      mod = loadModule(cand.path);
    } catch (e) {
      const v = toErrorValue(e);
      return {
        ...base,
        loaded: false,
        error: { code: v.code, messageKey: v.messageKey, params: { ...v.params } },
        tokens: [],
      };
    }
    const tokens: TokenSummary[] = [];
    for (const slot of slotsWithToken(mod)) {
      try {
        tokens.push(readToken(mod, slot));
      } catch {
        // Removed while being read: the next listing shows the truth.
      }
    }
    return { ...base, loaded: true, library: mod.info, tokens };
  });
}

export interface TokenChoice {
  module: LoadedModule;
  slot: Handle;
  token: TokenSummary;
}

/** Finds exactly one token: by label, by slot index, or the only one present. */
export function chooseToken(opts: DiscoveryOptions & { label?: string; slotIndex?: number }): TokenChoice {
  const found: TokenChoice[] = [];
  const failures: string[] = [];
  for (const cand of discoverModules(opts)) {
    let mod: LoadedModule;
    try {
      mod = loadModule(cand.path);
    } catch (e) {
      failures.push(toErrorValue(e).params?.detail?.toString() ?? cand.path);
      continue;
    }
    slotsWithToken(mod).forEach((slot, index) => {
      if (opts.slotIndex !== undefined && index !== opts.slotIndex) return;
      const identity = readTokenIdentity(mod, slot);
      if ((identity.flags & CKF.TOKEN_INITIALIZED) === 0) return;
      if (opts.label !== undefined && identity.label !== opts.label) return;
      found.push({ module: mod, slot, token: readToken(mod, slot) });
    });
  }
  if (found.length === 0) {
    throw new KysoError('TOKEN_UNAVAILABLE', 'error.tokenUnavailable', {
      detail: opts.label ?? (failures.join('; ') || 'no token present'),
    });
  }
  if (found.length > 1) throw new KysoError('USAGE', 'error.tokenAmbiguous');
  return found[0]!;
}
