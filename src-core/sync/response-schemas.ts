/**
 * The server's answers, checked before the client believes them (docs/sync-api.openapi.yaml).
 * Unknown fields are dropped rather than refused, so a newer server can add some.
 */
import { z } from 'zod';
import {
  ASSIGNMENT_STATES,
  DocumentStatus,
  QUEUE_CHANGES,
  RequiredAction,
  Role,
  SYNC_ERROR_CODES,
  Urgency,
} from '../../src-shared/api/sync-types.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const UserInfoSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  fullName: z.string(),
  title: z.string(),
  role: Role,
  organisation: z.object({ id: z.string(), name: z.string() }),
  unit: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});

export const TokenResponseSchema = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string().min(1),
  expiresIn: z.number().int().positive(),
  refreshToken: z.string().min(1),
  refreshExpiresIn: z.number().int().positive(),
  user: UserInfoSchema,
});

export const ChallengeResponseSchema = z.object({
  challengeId: z.string().min(1),
  challenge: z.string().min(1),
  expiresAt: z.string(),
});

export const QueueItemSchema = z.object({
  id: z.number().int(),
  documentId: z.string().min(1).max(64),
  version: z.number().int().min(1),
  title: z.string(),
  docType: z.string(),
  number: z.number().int().nullable(),
  notation: z.string().nullable(),
  issuedDate: z.string().nullable(),
  sender: z.object({ organisationId: z.string(), name: z.string() }),
  urgency: Urgency,
  dueAt: z.string().nullable(),
  action: RequiredAction,
  status: DocumentStatus,
  assignmentState: z.enum(ASSIGNMENT_STATES),
  contentSha256: Sha256,
  size: z.number().int().min(0),
  recallReason: z.string().nullable(),
});

export const QueuePageSchema = z.object({
  items: z.array(
    z.object({
      change: z.enum(QUEUE_CHANGES),
      cursor: z.string().regex(/^\d+$/),
      item: QueueItemSchema,
    }),
  ),
  nextCursor: z.string().regex(/^\d+$/),
  hasMore: z.boolean(),
});

export const UploadResponseSchema = z.object({
  documentId: z.string(),
  version: z.number().int().min(2),
  sha256: Sha256,
  size: z.number().int(),
  status: DocumentStatus,
  assignmentState: z.enum(ASSIGNMENT_STATES),
});

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(SYNC_ERROR_CODES),
  messageKey: z.string(),
  detail: z.string(),
  message: z.object({ vi: z.string(), en: z.string() }),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  errors: z.array(z.string()).optional(),
});

const JournalHeadSchema = z.object({ seq: z.number().int().min(0), hash: Sha256 });

export const JournalPushResponseSchema = z.object({
  deviceId: z.string(),
  accepted: z.number().int().min(0),
  alreadyHeld: z.number().int().min(0),
  head: JournalHeadSchema,
});

export const JournalHeadResponseSchema = z.object({ deviceId: z.string(), head: JournalHeadSchema });
