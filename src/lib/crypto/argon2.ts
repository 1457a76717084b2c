// The one hash-wasm function Sealdrop uses, behind a module of its own: password.ts imports it
// lazily, and bundlers (also for workers, whose dynamic imports are inlined) keep only Argon2.
export { argon2id } from 'hash-wasm';
