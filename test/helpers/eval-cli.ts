// `seq2seq eval` as a user runs it, for the CLI tests: line files in a temporary folder (removed after the
// file's tests) and the real bin script.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";

const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface EvalCli {
  /** Writes `lines` (one per line) to `name` in the temporary folder and returns its path. */
  file(name: string, lines: string[]): string;
  /** The path `name` would have in the temporary folder (nothing is written). */
  pathOf(name: string): string;
  /** Runs `seq2seq eval ...args` from the repository root. */
  run(args: string[]): { status: number | null; stdout: string; stderr: string };
}

/** A temporary folder named after `label`, removed when the calling test file ends. */
export function evalCli(label: string): EvalCli {
  const dir = mkdtempSync(path.join(os.tmpdir(), `seq2seq-${label}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    file(name, lines) {
      const full = path.join(dir, name);
      writeFileSync(full, `${lines.join("\n")}\n`);
      return full;
    },
    pathOf: (name) => path.join(dir, name),
    run(args) {
      const result = spawnSync(process.execPath, [path.join(repoRoot, "bin/seq2seq.js"), "eval", ...args], {
        cwd: repoRoot,
        encoding: "utf8",
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}
