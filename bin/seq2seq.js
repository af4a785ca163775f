#!/usr/bin/env node
// The `seq2seq` command: registers tsx so the TypeScript sources run directly, then hands over to the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
await main(process.argv);
