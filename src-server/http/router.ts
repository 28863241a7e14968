/**
 * A small router: method + path pattern ("/api/v1/documents/:id/content") → handler. Enough for a
 * dozen routes, with 405 for a known path under the wrong method and HEAD served by GET handlers
 * (node drops the body of a HEAD answer itself).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Locale } from '../../src-shared/i18n/messages.js';
import type { AuthUser } from '../auth/sessions.js';

export interface AuditNote {
  documentId: string | null;
  detail: string | null;
  /** Leave this request out of the audit log (successful polling). */
  skip: boolean;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  ip: string;
  locale: Locale;
  /** Set by the dispatcher for routes that require authentication. */
  user: AuthUser | null;
  audit: AuditNote;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Audit action name, e.g. "document.upload". */
  name: string;
  auth: boolean;
  handler: Handler;
}

interface CompiledRoute extends RouteDef {
  regex: RegExp;
  keys: string[];
}

export type Match =
  | { kind: 'found'; route: RouteDef; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(def: RouteDef): void {
    const keys: string[] = [];
    const pattern = def.path
      .split('/')
      .map((seg) => {
        if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(seg.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ ...def, regex: new RegExp(`^${pattern}$`), keys });
  }

  match(method: string, pathname: string): Match {
    const allow: string[] = [];
    const wanted = method === 'HEAD' ? 'GET' : method;
    for (const r of this.routes) {
      const m = r.regex.exec(pathname);
      if (!m) continue;
      if (r.method !== wanted) {
        allow.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      let ok = true;
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]!);
        } catch {
          ok = false;
        }
      });
      if (!ok) return { kind: 'not-found' };
      return { kind: 'found', route: r, params };
    }
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}
