/**
 * Error types chosen by meaning. Only the CLI layer turns them into exit codes.
 * @module
 */

/** Exit codes documented in the README. */
export const ExitCode = {
  ok: 0,
  /** An unexpected failure inside dl-driver (a bug): printed with a stack trace. */
  internal: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** Storage or data failure: missing dataset, I/O error, corrupt file. */
  data: 3,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
  /** Terminated by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

/** Where a problem is: a file position or an override. */
export interface SourceLocation {
  /** File name, or `override` for a command-line override. */
  source: string;
  /** 1-based line (0 when not applicable). */
  line: number;
  /** 1-based column (0 when not applicable). */
  col: number;
}

/** One configuration problem. */
export interface Diagnostic {
  /** Dotted key path, e.g. `dataset.num_files_train`. */
  path: string;
  message: string;
  location?: SourceLocation;
  severity: "error" | "warning";
}

/** Render a location as `file:line:col` (or the override text). */
export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return "";
  if (loc.line === 0) return loc.source;
  return `${loc.source}:${loc.line}:${loc.col}`;
}

/** Render one diagnostic on one line. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d.location);
  const head = where ? `${where}: ` : "";
  const path = d.path ? `${d.path}: ` : "";
  return `${head}${d.severity}: ${path}${d.message}`;
}

/** A user-facing error: the CLI prints the message (no stack) and exits with `exitCode`. */
export class UserError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.usage, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** A configuration error with every problem found, reported at once. */
export class ConfigError extends UserError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    super(
      `${errors.length} configuration error${errors.length === 1 ? "" : "s"}:\n` +
        errors.map((d) => "  " + formatDiagnostic(d)).join("\n"),
      ExitCode.usage,
    );
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }
}

/** A failure reading or writing data; names the object and operation. */
export class DataError extends UserError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.data, options);
    this.name = "DataError";
  }
}

/** Whether `e` is the operating system's failure (ENOSPC, EACCES, EROFS, EIO, …). */
export function isOsError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "string" && /^E[A-Z0-9]+$/.test(code) &&
    !(e instanceof UserError);
}
