/** Writing answers: JSON, problem+json (RFC 9457) in the caller's language, and empty ones. */
import type { ServerResponse } from 'node:http';
import type { SyncProblem } from '../../src-shared/api/sync-types.js';
import type { Locale } from '../../src-shared/i18n/messages.js';
import { t } from '../../src-shared/i18n/translate.js';
import type { ServerError } from '../errors.js';

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...BASE_HEADERS, ...headers });
  res.end();
}

export function problemOf(e: ServerError, locale: Locale): SyncProblem {
  const loc = e.extra.localizedParams;
  const vi = t('vi', e.messageKey, loc ? { ...e.params, ...loc.vi } : e.params);
  const en = t('en', e.messageKey, loc ? { ...e.params, ...loc.en } : e.params);
  const p: SyncProblem = {
    type: `urn:kyso:problem:${e.code.toLowerCase().replaceAll('_', '-')}`,
    title: e.code,
    status: e.status,
    code: e.code,
    messageKey: e.messageKey,
    detail: locale === 'en' ? en : vi,
    message: { vi, en },
  };
  if (Object.keys(e.params).length > 0) p.params = e.params;
  if (e.extra.errors) p.errors = e.extra.errors;
  return p;
}

export function sendProblem(res: ServerResponse, e: ServerError, locale: Locale): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(problemOf(e, locale));
  res.writeHead(e.status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Language': locale,
    'Content-Length': String(Buffer.byteLength(text)),
    ...(e.extra.close ? { Connection: 'close' } : {}),
    ...e.extra.headers,
  });
  res.end(text);
}
