/**
 * The storage scheme registry: every URI scheme dl-driver opens, with what it is and how to
 * open it. Config validation, the backend opener and the docs all ask this table.
 * @module
 */
import type { StorageBackend } from "./backend.ts";

/** Options that apply to some backends. */
export interface OpenOptions {
  /** DLIO's `storage.storage_options` (S3 credentials, endpoint, region, ...). */
  storageOptions?: Record<string, unknown>;
  /** Aborts every request of the backend (Ctrl-C, SIGTERM): nothing in flight outlives the run. */
  signal?: AbortSignal;
}

/** One scheme. */
export interface Scheme {
  /** What it opens, for help and errors. */
  description: string;
  /** Keys are files on a local file system (O_DIRECT and libraries that open paths apply). */
  localFiles: boolean;
  /** Open a backend for the part of the URI after `scheme://`. */
  open(rest: string, uri: string, opts: OpenOptions): Promise<StorageBackend>;
}

const absolute = (rest: string) => decodeURIComponent(rest.startsWith("/") ? rest : "/" + rest);
const options = (o: OpenOptions) => (o.storageOptions ?? {}) as Record<string, never>;
const azure = async (_rest: string, uri: string, o: OpenOptions) =>
  new (await import("./azure.ts")).AzureBackend(uri, options(o), o.signal);

/** Every scheme, by name. Object-store SDKs load only when their scheme is opened. */
export const SCHEME_REGISTRY: Readonly<Record<string, Scheme>> = {
  file: {
    description: "local or parallel file system (buffered)",
    localFiles: true,
    open: async (rest) => new (await import("./file.ts")).FileBackend(absolute(rest)),
  },
  direct: {
    description: "local or parallel file system with O_DIRECT",
    localFiles: true,
    open: async (rest) => new (await import("./direct.ts")).DirectBackend(absolute(rest)),
  },
  mem: {
    description: "in-process memory (tests)",
    localFiles: false,
    open: async (rest) => {
      const { MemBackend } = await import("./mem.ts");
      const i = rest.indexOf("/");
      return i < 0 ? new MemBackend(rest) : new MemBackend(rest.slice(0, i), rest.slice(i + 1));
    },
  },
  s3: {
    description: "S3 and S3-compatible object stores",
    localFiles: false,
    open: async (_rest, uri, o) =>
      new (await import("./s3.ts")).S3Backend(uri, options(o), o.signal),
  },
  az: { description: "Azure Blob Storage (az://container/prefix)", localFiles: false, open: azure },
  https: {
    description: "Azure Blob Storage by URL (https://account.blob.core.windows.net/container)",
    localFiles: false,
    open: azure,
  },
};

/** URI schemes dl-driver can open. */
export const SCHEMES: string[] = Object.keys(SCHEME_REGISTRY);

/** The scheme of a URI (`file`, `s3`, ...) or undefined for a plain path. */
export function schemeOf(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
}

/** Whether a URI or plain path names local files (plain paths do). */
export function isLocal(uri: string): boolean {
  const s = schemeOf(uri);
  return s === undefined || (SCHEME_REGISTRY[s]?.localFiles ?? false);
}
