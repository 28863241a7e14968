/**
 * Proxies. Node 20's global fetch (its bundled undici) ignores HTTP_PROXY/HTTPS_PROXY: a proxy
 * needs a dispatcher (undici's ProxyAgent), and Node's bundled undici does not export one. So:
 *
 * - `proxyFor()` reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) the way curl does;
 * - `createSyncFetch()` uses the `undici` package's fetch + ProxyAgent when that package can be
 *   loaded (it is not a declared dependency yet: add `undici@^6` — the line whose engines match
 *   Node 20 — to use proxies from the CLI); otherwise it connects directly and says so;
 * - the Electron app should pass `net.fetch` as `fetchImpl` instead: Chromium's stack follows
 *   the system proxy settings, PAC files and NTLM/Kerberos proxy authentication.
 *
 * Supported through undici: http:// and https:// proxies (CONNECT tunnel), user:password in the
 * proxy URL (Basic). Not supported: PAC, SOCKS, NTLM/Kerberos proxy auth (use net.fetch).
 */
import type { FetchLike } from '../cms/http-exchange.js';

export interface ProxyChoice {
  /** The proxy URL to use, or null for a direct connection. */
  url: string | null;
  /** Where it came from, for the status line. */
  source: string | null;
}

function envOf(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name] ?? env[name.toLowerCase()];
  return v && v.trim() !== '' ? v.trim() : undefined;
}

/** NO_PROXY entries: "*", host names (a leading dot or not: suffix match), host:port, IPs. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ''))!;
    const name = (m[1] ?? '').replace(/^\*?\./, '');
    if (m[2] && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

export function proxyFor(target: string, env: NodeJS.ProcessEnv = process.env): ProxyChoice {
  const url = new URL(target);
  if (bypassesProxy(url, envOf(env, 'NO_PROXY'))) return { url: null, source: null };
  const name = url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const v = envOf(env, name);
  return v ? { url: v, source: name } : { url: null, source: null };
}

/** For messages: the proxy without its credentials. */
export function redactProxy(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '(invalid proxy URL)';
  }
}

export interface SyncFetch {
  fetch: FetchLike;
  /** 'direct': no proxy wanted; 'proxy': going through it; 'proxy-unsupported': wanted, but direct. */
  mode: 'direct' | 'proxy' | 'proxy-unsupported';
  proxy: string | null;
}

interface UndiciLike {
  fetch: (input: string, init?: Record<string, unknown>) => Promise<Response>;
  ProxyAgent: new (uri: string) => object;
}

function isUndici(m: unknown): m is UndiciLike {
  const o = m as { fetch?: unknown; ProxyAgent?: unknown } | null;
  return typeof o?.fetch === 'function' && typeof o.ProxyAgent === 'function';
}

export async function createSyncFetch(serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<SyncFetch> {
  const choice = proxyFor(serverUrl, env);
  if (!choice.url) return { fetch: globalThis.fetch, mode: 'direct', proxy: null };
  try {
    // A computed specifier: the package is optional, and bundlers must not try to inline it.
    const specifier = ['und', 'ici'].join('');
    const mod: unknown = await import(specifier);
    const undici = isUndici(mod)
      ? mod
      : isUndici((mod as { default?: unknown }).default)
        ? (mod as { default: UndiciLike }).default
        : null;
    if (undici) {
      const dispatcher = new undici.ProxyAgent(choice.url);
      const proxied: FetchLike = (input, init) =>
        undici.fetch(String(input instanceof Request ? input.url : input), { ...(init ?? {}), dispatcher });
      return { fetch: proxied, mode: 'proxy', proxy: redactProxy(choice.url) };
    }
  } catch {
    // Not installed: fall through to a direct connection, reported by `mode`.
  }
  return { fetch: globalThis.fetch, mode: 'proxy-unsupported', proxy: redactProxy(choice.url) };
}
