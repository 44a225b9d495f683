#!/usr/bin/env node
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// Runs a TypeScript entry point through tsx's loader so the project needs no build step.
import { register } from 'tsx/esm/api';

register();
const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts.js FILE.ts [args...]');
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(path.resolve(entry)).href);
