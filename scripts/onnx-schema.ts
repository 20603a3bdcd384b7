/**
 * Turns ONNX's official schema (src/engine/onnx/schema/onnx.proto, vendored from ONNX 1.12)
 * into the protobufjs JSON descriptor the decoder loads with `Root.fromJSON`, so the page never
 * parses .proto text at run time. Rerun after replacing onnx.proto:
 *   npx tsx scripts/onnx-schema.ts
 * src/engine/onnx/schema/schema.test.ts checks that the committed JSON is what this makes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import protobuf from 'protobufjs';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'src', 'engine', 'onnx', 'schema');

/** The descriptor of a .proto text; field names kept as the schema spells them (raw_data). */
export function onnxSchemaDescriptor(protoText: string): protobuf.INamespace {
  const { root } = protobuf.parse(protoText, { keepCase: true });
  // toJSON holds live reflection objects' own toJSON results; a JSON round trip makes it plain.
  return JSON.parse(JSON.stringify(root.toJSON())) as protobuf.INamespace;
}

export function onnxSchemaText(): string {
  return readFileSync(join(SCHEMA_DIR, 'onnx.proto'), 'utf8');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const out = join(SCHEMA_DIR, 'onnx.json');
  const json = JSON.stringify(onnxSchemaDescriptor(onnxSchemaText()));
  // Written as the repository's formatter would, so `prettier --check` passes on it.
  writeFileSync(out, await format(json, { ...(await resolveConfig(out)), filepath: out }));
  console.log(`wrote ${out}`);
}
