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
              [--page N --rect x1,y1,x2,y2 | --anchor TEXT | --invisible]
              [--signature-image PNG] [--seal-image PNG] [--doc-number TEXT] [--doc-date YYYY-MM-DD]
              [--copy-type "SAO Y"|"SAO LỤC"|"TRÍCH SAO"] [--reason TEXT] [--location TEXT] [--comment TEXT]
              [--trust PEM]... [--json]`,
    summary:
      'Sign a PDF with the token (PAdES B-B to B-LTA, appended incrementally: earlier signatures stay valid). A PIN is never accepted as an argument. Not yet: --profile other than approval, --anchor, images, --doc-number/--doc-date, --copy-type, --comment (Decree 30 appearances).',
    status: 'available',
  },
  batch: {
    usage: 'kyso batch    IN_DIR -o OUT_DIR  (options as sign)',
    summary:
      'Sign every PDF in a folder with one login; progress on stderr; a bad file is skipped, a token failure stops the batch; per-file summary (--json) at the end. Exit 0 all signed, 65 some file failed, 69/77 token or PIN.',
    status: 'available',
  },
  verify: {
    usage: 'kyso verify   FILE.pdf [--trust PEM]... [--offline] [--json]',
    summary: 'Validate every signature. Exit 0 all TOTAL-PASSED, 1 any TOTAL-FAILED, 2 otherwise INDETERMINATE.',
    status: 'not-yet',
  },
  server: {
    usage: 'kyso server   [--port N] [--db PATH | --db postgres://...] [--seed-demo]',
    summary:
      'Run the reference document workflow server (SQLite by default, PostgreSQL with --db postgres://…). See docs/server.md.',
    status: 'available',
  },
  sync: {
    usage: 'kyso sync     [--server URL]',
    summary: 'One sync round: pull the queue, push the outbox; status on stderr.',
    status: 'not-yet',
  },
  queue: {
    usage: 'kyso queue    [--json]',
    summary: 'Show the local queue as last synced.',
    status: 'not-yet',
  },
  ui: {
    usage: 'kyso ui       [--port N] [--no-open]',
    summary:
      'Browser mode: serve the UI on 127.0.0.1 and print its URL, which carries a one-time secret; opens the browser unless --no-open.',
    status: 'available',
  },
  demo: {
    usage: 'kyso demo',
    summary: 'Reference server with sample Vietnamese documents + a SoftHSM demo token where available.',
    status: 'not-yet',
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
