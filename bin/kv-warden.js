#!/usr/bin/env node
// The kv-warden command. Loads the TypeScript sources through tsx so `npx kv-warden` works right after install.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
