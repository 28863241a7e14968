import { useRef, useState } from 'react';
import type { KysoApi } from '../../src-shared/api/contract';
import type { VerifiedFile } from '../../src-shared/api/ui-types';
import { blobUrl, uploadFile } from '../api-client';
import { PdfViewer } from '../components/PdfViewer';
import { SignaturesPanel } from '../components/SignaturesPanel';
import { useI18n } from '../i18n';

/** Open or drop any PDF and get the full verification report. */
export function VerifyScreen({ api }: { api: KysoApi }) {
  const { t, err } = useI18n();
  const [result, setResult] = useState<VerifiedFile | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const check = async (file: File): Promise<void> => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const uploadId = await uploadFile(file);
      setResult(await api['verify.file']({ uploadId }));
    } catch (e) {
      setError(err(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="verify" aria-labelledby="verify-h">
      <div className="screen-head">
        <h2 id="verify-h">{t('nav.verify')}</h2>
        {result && (
          <span className="small muted" data-testid="verify-file">
            {result.name}
          </span>
        )}
      </div>
      <div
        className={`dropzone${over ? ' over' : ''}${result ? ' compact' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer.files[0];
          if (f) void check(f);
        }}
        data-testid="dropzone"
      >
        <p>{t('ui.verify.drop')}</p>
        <button type="button" className="primary" onClick={() => input.current?.click()} disabled={busy}>
          {t('ui.verify.choose')}
        </button>
        <input
          ref={input}
          type="file"
          accept="application/pdf,.pdf"
          className="visually-hidden"
          tabIndex={-1}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void check(f);
            e.target.value = '';
          }}
          data-testid="verify-input"
        />
        {busy && (
          <p className="muted" role="status">
            {t('ui.verify.checking')}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
      {result && (
        <div className="doc-body">
          <div className="doc-viewer">
            <PdfViewer url={blobUrl(result.blobId)} />
          </div>
          <aside className="doc-side">
            <section className="card">
              <h3>{t('ui.doc.signatures', { n: result.report.signatures.length })}</h3>
              <SignaturesPanel report={result.report} />
            </section>
          </aside>
        </div>
      )}
    </section>
  );
}
