// Validates real server responses against docs/sync-api.openapi.yaml: the status must be listed
// for that path and method, the media type must be the documented one, and a JSON body must
// match its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses, with ajv-formats).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const SPEC_PATH = fileURLToPath(new URL('../../docs/sync-api.openapi.yaml', import.meta.url));

interface MediaObject {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaObject>;
}
interface OperationObject {
  responses: Record<string, ResponseObject>;
}
interface Spec {
  paths: Record<string, Record<string, OperationObject | unknown>>;
  components: { responses: Record<string, ResponseObject> };
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

export interface SpecCheckInput {
  method: string;
  /** Concrete path without the query, e.g. /api/v1/documents/abc/content. */
  path: string;
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export class OpenApiChecker {
  readonly spec: Spec;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; regex: RegExp }[];

  constructor() {
    this.spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
    // strict off: the document around the schemas (paths, info…) is not itself a JSON Schema.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(this.spec as object, 'openapi.json');
    this.templates = Object.keys(this.spec.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** Throws with a readable reason when the response does not match the contract. */
  check(r: SpecCheckInput): void {
    const found = this.templates.find((t) => t.regex.test(r.path));
    if (!found) throw new Error(`${r.method} ${r.path}: path not in the OpenAPI document`);
    const method = r.method.toLowerCase() === 'head' ? 'get' : r.method.toLowerCase();
    const op = this.spec.paths[found.template]![method] as OperationObject | undefined;
    if (!op) throw new Error(`${r.method} ${found.template}: method not in the OpenAPI document`);
    const status = String(r.status);
    let response = op.responses[status];
    let pointer = `/paths/${escapePointer(found.template)}/${method}/responses/${status}`;
    if (!response) throw new Error(`${r.method} ${found.template}: status ${status} not documented`);
    if (response.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      response = this.spec.components.responses[name]!;
      pointer = `/components/responses/${escapePointer(name)}`;
    }
    const mediaTypes = Object.keys(response.content ?? {});
    if (mediaTypes.length === 0) {
      if (r.body.length > 0 && r.method !== 'HEAD') {
        throw new Error(`${r.method} ${found.template} ${status}: body sent where none is documented`);
      }
      return;
    }
    const media = (r.contentType ?? '').split(';')[0]!.trim();
    if (!mediaTypes.includes(media)) {
      throw new Error(
        `${r.method} ${found.template} ${status}: content type "${media}" not in [${mediaTypes.join(', ')}]`,
      );
    }
    if (!media.endsWith('json')) return;
    const ref = `openapi.json#${pointer}/content/${escapePointer(media)}/schema`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    const body: unknown = JSON.parse(r.body.toString('utf8'));
    if (!validate(body)) {
      throw new Error(
        `${r.method} ${found.template} ${status}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}\n${r.body.toString('utf8').slice(0, 600)}`,
      );
    }
  }
}
