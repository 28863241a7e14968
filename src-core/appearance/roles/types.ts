/**
 * The Vietnamese signing roles (Decree 30/2020/NĐ-CP and practice) and what planning one yields.
 */
import type { MessageKey } from '../../../src-shared/i18n/messages.js';
import type { IncrementalUpdate } from '../../pdf/incremental-writer.js';
import type { PdfReader } from '../../pdf/reader.js';
import type { FieldPlacement } from '../../sign/pdf-signer.js';
import type { Rect } from '../../sign/placement.js';

export const ROLE_PROFILES = ['approval', 'initials', 'issue', 'appendix', 'copy', 'received', 'comment'] as const;
export type RoleProfile = (typeof ROLE_PROFILES)[number];

/** A polyline in visible page coordinates (points), for --ink. */
export type Polyline = Array<[number, number]>;

export interface RoleRequest {
  profile: RoleProfile;
  /** The PDF to be signed (read for text anchors, placeholders and existing signatures). */
  input: string;
  /** The signing certificate (DER): name, title, organisation and kind come from it. */
  signerCertDer: Buffer;
  /** Shown on stamps and written to /M; default now. */
  signingTime?: Date;
  /** UTC offset of times shown on stamps, minutes; default +07:00. */
  offsetMinutes?: number;

  /** Explicit placement: 0-based page and visible-page rectangle (overrides the automatic one). */
  pageIndex?: number;
  rect?: Rect;
  /** Text to place the stamp by, instead of the signer's name (approval, comment) or the default spot. */
  anchor?: string;

  /** Handwritten signature, transparent PNG (approval, initials, comment). */
  signatureImage?: Buffer;
  /** Organisation seal, transparent red PNG (issue). */
  sealImage?: Buffer;
  /** Seal diameter (its width) in millimetres; default: from the PNG's resolution, else 36 mm. */
  sealSizeMm?: number;
  /** Also print the organisation name and the signing time with the seal (issue). */
  sealText?: boolean;

  /** Number and notation: written at "Số:" (issue), shown on appendices, incoming number (received). */
  docNumber?: string;
  /** YYYY-MM-DD: issuing date written at "ngày … tháng … năm …" (issue) or received date; default: signing day. */
  docDate?: string;
  /** "SAO Y" | "SAO LỤC" | "TRÍCH SAO" (copy); default "SAO Y". */
  copyType?: string;
  /** The leader's directive (comment). */
  comment?: string;
  /** Ink strokes of the directive (comment), visible coordinates of the directive's page. */
  ink?: Polyline[];
  /** Override the initials shown by the initials profile (default from the certificate's CN). */
  initials?: string;

  reason?: string;
  location?: string;
}

export interface RoleWarning {
  /** Stable code, e.g. "covers-text", "image-colour". */
  code: string;
  key: MessageKey;
  params: Record<string, string | number>;
}

/** An annotation added in the signature's own revision (number, date, directive, ink). */
export interface AddedAnnotation {
  kind: 'number' | 'date' | 'directive' | 'ink';
  subtype: 'FreeText' | 'Ink';
  pageIndex: number;
  rect: Rect;
  text?: string;
}

export interface RolePlan {
  profile: RoleProfile;
  /** What signDocument needs: page, visible rect, appearance, name, time, reason. */
  placement: Omit<FieldPlacement, 'kind'>;
  /**
   * Extra objects for the signature's own revision (the annotations). Pass it to signDocument's
   * `prepare`; the appearance callback also runs it once if it was not run yet.
   */
  prepare?: (reader: PdfReader, update: IncrementalUpdate) => void;
  annotations: AddedAnnotation[];
  warnings: RoleWarning[];
  /** The signer's name and certificate kind as read from the certificate. */
  signer: { commonName: string; organisation: string | undefined; kind: 'personal' | 'organisation' };
}
