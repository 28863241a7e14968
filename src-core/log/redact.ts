/**
 * Secrets never reach a log: PINs, passwords, bearer/refresh tokens, cookies, URL credentials,
 * the bridge's one-time secret and private keys are replaced before a line is written. Keys are
 * matched by name in objects and by shape in free text.
 */
const SECRET_KEY = /pin|pass(word|phrase)?|secret|token|authorization|cookie|private.?key|otp|session/i;

const TEXT_PATTERNS: Array<[RegExp, string]> = [
  [/(authorization:\s*)(bearer|basic)\s+[^\s,;]+/gi, '$1$2 [redacted]'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/([?&](s|secret|token|access_token|refresh_token|password|pin)=)[^&\s]+/gi, '$1[redacted]'],
  [
    /("?(pin|password|secret|token|refreshToken|accessToken|refresh_token|access_token)"?\s*[:=]\s*)"?[^",\s}]+"?/gi,
    '$1"[redacted]"',
  ],
  [/(kyso_session=)[^;\s]+/gi, '$1[redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[redacted private key]'],
  [/(--pin(-env)?[ =])\S+/gi, '$1[redacted]'],
  // user:password@ in any URL (proxy settings carry them).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi, '$1[redacted]@'],
  // Whole Cookie / Set-Cookie header lines.
  [/\b((?:set-)?cookie:\s*)[^\r\n]+/gi, '$1[redacted]'],
  // The workflow server's opaque tokens (kat_… access, krt_… refresh) and JWTs, wherever they appear.
  [/\bk(?:at|rt)_[A-Za-z0-9_-]{16,}/g, '[redacted token]'],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g, '[redacted token]'],
];

export function redactText(s: string): string {
  let out = s;
  for (const [re, rep] of TEXT_PATTERNS) out = out.replace(re, rep);
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactText(value);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redactText(`${value.name}: ${value.message}`);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}
