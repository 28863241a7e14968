/**
 * Help text is the command contract from DESIGN.md, written once here. A subcommand whose
 * capability has not landed says so in its own help ("status"), so `--help` stays truthful.
 */
export interface CommandHelp {
  usage: string;
  summary: string;
  status: 'available' | 'not-yet';
}

export const COMMANDS: Record<string, CommandHelp> = {
  tokens: {
    usage: 'kyso tokens   [--module PATH]... [--json]',
    summary:
      'List PKCS#11 modules found (known driver list, KYSO_PKCS11_MODULE, or --module), tokens, certificates and PIN state. Exit 0 when a token is present, 69 when none is.',
    status: 'available',
  },
  sign: {
    usage: `kyso sign     IN.pdf -o OUT.pdf [--module PATH] [--token LABEL | --slot N] [--cert ID_HEX]
              (--pin-env VAR | --pin-stdin | interactive prompt)
              [--profile approval|initials|issue|appendix|copy|received|comment]
              [--level B-B|B-T|B-LT|B-LTA] [--tsa URL]
              [--page N] [--rect x1,y1,x2,y2 | --anchor TEXT | --invisible]
              [--signature-image PNG] [--seal-image PNG] [--seal-size MM] [--seal-text]
              [--doc-number TEXT] [--doc-date YYYY-MM-DD]
              [--copy-type "SAO Y"|"SAO LỤC"|"TRÍCH SAO"] [--comment TEXT] [--ink STROKES.json]
              [--reason TEXT] [--location TEXT] [--trust PEM]... [--json]`,
    summary: `Sign a PDF with the token (PAdES B-B to B-LTA, appended incrementally: earlier signatures stay valid). A PIN is never accepted as an argument.
Profiles (Decree 30/2020/NĐ-CP; see docs/roles.md). Without --profile: a plain signature, invisible or a box at --page/--rect.
  approval  personal certificate; --signature-image (blue, transparent PNG) between the signer's title and name, found in the text
            by the certificate's name (--anchor TEXT: above that text instead; --page/--rect: exactly there)
  initials  personal; a 40x20 pt mark (initials from the certificate, or --signature-image scaled down) after the last line of the last page
  issue     organisation; refuses a document without a valid personal signature; writes --doc-number at "Số:" and --doc-date
            (default today) at "ngày … tháng … năm …" as annotations; --seal-image at real size (PNG dpi, or --seal-size mm,
            default 36) over the left third of the leader's signature; --seal-text adds the organisation and the time
  appendix  organisation; --doc-number and the signing time, top right of page 1, 10 pt
  copy      organisation; --copy-type (default SAO Y), the organisation and the time, top right of page 1, 10 pt
  received  organisation; a bordered "ĐẾN" stamp with --doc-number, date and time in free space at the top left of page 1
  comment   personal; the directive --comment (and --ink polylines, JSON [[[x,y],…],…] in page points) with the signature under it
--page N limits the automatic placement to page N. A stamp that covers text is reported as a warning (stderr and --json), not an error.`,
    status: 'available',
  },
  batch: {
    usage: 'kyso batch    IN_DIR -o OUT_DIR  (options as sign, --profile included: laid out per file)',
    summary:
      "Sign every PDF in a folder with one login; progress on stderr; a bad file is skipped, a token failure stops the batch; per-file summary (--json, with each file's stamp, annotations and warnings) at the end. Exit 0 all signed, 65 some file failed, 69/77 token or PIN.",
    status: 'available',
  },
  verify: {
    usage: 'kyso verify   FILE.pdf [--trust PEM]... [--offline] [--json]',
    summary: 'Validate every signature. Exit 0 all TOTAL-PASSED, 1 any TOTAL-FAILED, 2 otherwise INDETERMINATE.',
    status: 'not-yet',
  },
  server: {
    usage: 'kyso server   [--port N] [--db PATH | --db postgres://...] [--seed-demo] [--log FILE]',
    summary:
      'Run the reference document workflow server (SQLite by default, PostgreSQL with --db postgres://…); --log FILE writes one line per request, without bodies or tokens. See docs/server.md.',
    status: 'available',
  },
  sync: {
    usage: 'kyso sync     [--server URL] [--verbose] [--json]',
    summary:
      'One sync round with the workflow server: pull the queue (delta from the last cursor), upload signed documents waiting in the outbox (same idempotency key on every retry), push the signature journal, fetch the content of open tasks for offline signing; status on stderr; --json prints the result of the round (pulled, uploaded, conflicts, journal: pushed/unsent/state) as one object on stdout. Server: --server, KYSO_SERVER_URL or the last one used. Login: the stored session (secrets.json, 0600, in the data dir), else KYSO_USER + KYSO_PASSWORD_ENV (name of the variable holding the password). Data dir: KYSO_DATA_DIR or the OS default. Proxies: HTTPS_PROXY / HTTP_PROXY. Exit 0 synced, 2 some signature in conflict or refused or the journal refused by the server, 64 no server, 69 server unreachable (nothing is lost), 77 not logged in.',
    status: 'available',
  },
  queue: {
    usage: 'kyso queue    [--json]',
    summary:
      'Show the local queue as last synced (no network; safe beside a running app): each task with its local state (to sign, signed and waiting to send, sent, conflict with the reason, refused). --json prints one object: account, lastSyncAt, cursor, items, outbox, counts.',
    status: 'available',
  },
  settings: {
    usage: 'kyso settings [--json] | kyso settings set KEY=VALUE...',
    summary:
      "Show the settings in force (settings.json in the data dir, then the IT department's enterprise preset: /etc/kyso/enterprise.json, /Library/Application Support/Kyso/enterprise.json, %ProgramData%\\Kyso\\enterprise.json or KYSO_ENTERPRISE_CONFIG), each with its source and whether it is locked; set changes the user's own (lists separated by the OS path separator). Exit 64 for a locked key or a bad value, 65 for an invalid enterprise file. See docs/enterprise-config.md.",
    status: 'available',
  },
  ui: {
    usage: 'kyso ui       [--port N] [--no-open]',
    summary:
      'Browser mode: serve the UI on 127.0.0.1 and print its URL, which carries a one-time secret; opens the browser unless --no-open.',
    status: 'available',
  },
  demo: {
    usage: 'kyso demo     [--port N] [--server-port N] [--data-dir DIR] [--fresh] [--no-open] [--no-ui --json]',
    summary:
      'Reference server with sample Vietnamese documents (127.0.0.1) + a SoftHSM demo token (PIN 123456) with certificates bound to the demo leader and clerk, and the UI pointed at them; prints the URL and the PIN.',
    status: 'available',
  },
};

export const EXIT_CODE_HELP = `Exit codes: 0 ok; verify: 1 a signature TOTAL-FAILED, 2 INDETERMINATE;
64 usage error, 65 unreadable or malformed input, 69 token unavailable, 70 not available yet,
77 PIN wrong or locked.`;

export function mainHelp(version: string): string {
  const lines = [
    `kyso ${version} — Ký Số: ký số văn bản điện tử / digital signing of electronic documents`,
    '',
    'Usage:',
  ];
  for (const c of Object.values(COMMANDS)) {
    lines.push(`  ${c.usage.split('\n')[0]}${c.status === 'not-yet' ? '   (not yet)' : ''}`);
  }
  lines.push('', 'Run "kyso COMMAND --help" for details.', '', EXIT_CODE_HELP, '');
  return lines.join('\n');
}

export function commandHelp(name: string, c: CommandHelp): string {
  const status = c.status === 'not-yet' ? '\nStatus: not yet available in this version.\n' : '';
  return `Usage:\n  ${c.usage.replace(/\n/g, '\n  ')}\n\n${c.summary}\n${status}\n${EXIT_CODE_HELP}\n`;
}
