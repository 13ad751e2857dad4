/**
 * Validators for the official OpenAI schemas of this endpoint, kept in
 * test/reference/ (OpenAPI 3.0, converted here to JSON Schema for ajv).
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { REPO_ROOT } from './paths';

/** A plain predicate (not a type guard), so callers keep their own types. */
export interface Validator {
  (data: unknown): boolean;
  errors?: unknown;
}

const FILE = path.join(REPO_ROOT, 'test', 'reference', 'openai-completions.openapi-schemas.json');

/** `nullable: true` also allows null; component $refs point into `definitions`; OpenAPI-only keywords go. */
export function openApiToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === 'nullable' || key === 'example' || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace('#/components/schemas/', '#/definitions/');
    else if ((key === 'properties' || key === 'definitions') && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, openApiToJsonSchema(v)]));
    } else out[key] = openApiToJsonSchema(value);
  }
  if (src.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

const cache = new Map<string, Validator>();

export function referenceValidator(name: 'CreateCompletionRequest' | 'CreateCompletionResponse'): Validator {
  const cached = cache.get(name);
  if (cached) return cached;
  const doc = JSON.parse(fs.readFileSync(FILE, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const { definitions } = openApiToJsonSchema({ definitions: doc.components.schemas }) as { definitions: Record<string, unknown> };
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validate: Validator = ajv.compile({ definitions, $ref: `#/definitions/${name}` });
  cache.set(name, validate);
  return validate;
}
