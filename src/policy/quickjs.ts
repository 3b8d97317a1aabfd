// Finds, compiles (once per process) and instantiates the QuickJS WebAssembly engine.
// Each instance gets its own capped WebAssembly.Memory: QuickJS's own memory limit counts
// live allocations only, and measured here a guest growing arrays under setMemoryLimit(32 MiB)
// alone still grew the wasm memory to 2 GiB (fragmentation); the cap is what bounds RSS.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSWASMModule } from 'quickjs-emscripten-core';

/** The engine file's name beside dist/backsoon.js (the build copies it there). */
export const WASM_FILE_NAME = 'quickjs.wasm';
const PACKAGE_WASM = '@jitl/quickjs-wasmfile-release-sync/wasm';

export const WASM_PAGE_BYTES = 65536;
/** 16 MiB: the size the engine was linked with, so it starts without growing. */
export const WASM_INITIAL_PAGES = 256;
/** 64 MiB: the hard ceiling of one sandbox. */
export const WASM_MAX_PAGES = 1024;

/** The part of WebAssembly used here; the project's lib settings (ES2022, no DOM) do not declare it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<CompiledEngine>;
}
/** A compiled WebAssembly.Module, opaque here. */
export type CompiledEngine = { readonly __compiledEngine: unique symbol };
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface QuickJSInstance {
  readonly module: QuickJSWASMModule;
  readonly memory: WasmMemory;
}

/** Where the engine file is looked for, in order: beside the running bundle, then node_modules. */
export function wasmCandidates(): string[] {
  const found: string[] = [];
  // In the bundle __filename is dist/backsoon.js; from the sources it is this file.
  if (typeof __filename === 'string') found.push(join(dirname(__filename), WASM_FILE_NAME));
  try {
    found.push(require.resolve(PACKAGE_WASM));
  } catch {
    // Not installed as a package (e.g. the bundle in its own folder): the first place must do.
  }
  return found;
}

let compiled: Promise<CompiledEngine> | null = null;

/** The compiled engine, shared by every sandbox of the process. */
export function compiledEngine(): Promise<CompiledEngine> {
  if (compiled === null) {
    compiled = compileEngine();
    // A failure is not cached: the file may be installed before the next try.
    compiled.catch(() => { compiled = null; });
  }
  return compiled;
}

async function compileEngine(): Promise<CompiledEngine> {
  const places = wasmCandidates();
  const file = places.find((p) => existsSync(p));
  if (file === undefined) {
    throw new Error(
      `the QuickJS engine file ${WASM_FILE_NAME} was not found (looked at ${places.join(', ') || 'no place'}); ` +
      `install it beside backsoon.js (the build copies ${PACKAGE_WASM} to dist/${WASM_FILE_NAME})`,
    );
  }
  try {
    return await wasm.compile(readFileSync(file));
  } catch (err) {
    throw new Error(`${file}: not a usable QuickJS engine (${(err as Error).message}); reinstall backsoon`);
  }
}

/** A fresh engine instance with its own capped memory. */
export async function newQuickJSInstance(): Promise<QuickJSInstance> {
  const wasmModule = await compiledEngine();
  const memory = new wasm.Memory({ initial: WASM_INITIAL_PAGES, maximum: WASM_MAX_PAGES });
  const variant = newVariant(releaseSyncVariant, { wasmModule, wasmMemory: memory });
  return { module: await newQuickJSWASMModuleFromVariant(variant), memory };
}
