// `seq2seq export`: writes a model folder (this project's or a Hugging Face one) as a Hugging Face folder or
// as the ONNX layout transformers.js loads. Parsing and printing only; src/models/hf-export.ts writes.
import type { Command } from "commander";
import { isHfFolder } from "../io/hf-folder.ts";
import { loadModelFolder } from "../models/folder.ts";
import {
  type ExportReport,
  type ExportSource,
  exportHfFolder,
  exportOnnxFolder,
  sourceFromFolder,
  sourceFromHf,
} from "../models/hf-export.ts";
import { loadHfFolder } from "../models/hf-import.ts";

interface ExportFlags {
  model: string;
  format: string;
  out: string;
}

const FORMATS = ["hf", "onnx"] as const;

/** Loads `dir` as a Hugging Face folder (config.json with model_type) or as this project's model folder. */
async function exportSource(dir: string): Promise<ExportSource> {
  if (isHfFolder(dir)) return sourceFromHf(await loadHfFolder(dir, { requireTokenizer: false }));
  return sourceFromFolder(await loadModelFolder(dir));
}

/** Runs the export the flags describe and returns what it wrote. */
export async function runExport(flags: ExportFlags): Promise<ExportReport> {
  if (!(FORMATS as readonly string[]).includes(flags.format))
    throw new Error(`--format must be one of ${FORMATS.join(", ")}, got "${flags.format}"`);
  const source = await exportSource(flags.model);
  return flags.format === "hf" ? exportHfFolder(source, flags.out) : exportOnnxFolder(source, flags.out);
}

export function register(program: Command): void {
  program
    .command("export")
    .description(
      "write a model as a Hugging Face folder (--format hf) or as ONNX for transformers.js (--format onnx)",
    )
    .requiredOption("--model <dir>", "model folder: one saved by seq2seq-ts, or a Hugging Face folder")
    .requiredOption("--out <dir>", "folder to write (replaced atomically)")
    .option("--format <format>", `${FORMATS.join(" or ")}`, "hf")
    .action(async (flags: ExportFlags) => {
      const report = await runExport(flags);
      const type = report.family ? ` (model_type ${report.family})` : "";
      process.stdout.write(`wrote ${flags.out}${type}: ${report.files.join(", ")}\n`);
      for (const note of report.notes) process.stdout.write(`note: ${note}\n`);
    });
}
