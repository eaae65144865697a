/**
 * Choose a backend from a URI or path (DLIO's `storage_root` + `data_folder` rules).
 * @module
 */
import { UserError } from "../errors.ts";
import { schemeOf, SCHEMES } from "../config/location.ts";

export { datasetLocation, schemeOf, SCHEMES } from "../config/location.ts";
import type { StorageBackend } from "./backend.ts";
import { FileBackend } from "./file.ts";
import { MemBackend } from "./mem.ts";
import { DirectBackend } from "./direct.ts";

/** Options that apply to some backends. */
export interface OpenOptions {
  /** DLIO's `storage.storage_options` (S3 credentials, endpoint, region, ...). */
  storageOptions?: Record<string, unknown>;
}

/** Open the backend for a URI or path. Object-store SDKs load only when their scheme is used. */
export async function openBackend(uri: string, opts: OpenOptions = {}): Promise<StorageBackend> {
  const scheme = schemeOf(uri);
  if (!scheme) return new FileBackend(uri);
  const rest = uri.slice(scheme.length + 3);
  switch (scheme) {
    case "file":
      return new FileBackend(decodeURIComponent(rest.startsWith("/") ? rest : "/" + rest));
    case "direct":
      return new DirectBackend(decodeURIComponent(rest.startsWith("/") ? rest : "/" + rest));
    case "s3": {
      const { S3Backend } = await import("./s3.ts");
      return new S3Backend(uri, (opts.storageOptions ?? {}) as Record<string, never>);
    }
    case "az":
    case "https": {
      const { AzureBackend } = await import("./azure.ts");
      return new AzureBackend(uri, (opts.storageOptions ?? {}) as Record<string, never>);
    }
    case "mem": {
      const i = rest.indexOf("/");
      return i < 0 ? new MemBackend(rest) : new MemBackend(rest.slice(0, i), rest.slice(i + 1));
    }
    default:
      throw new UserError(
        `storage scheme ${scheme}:// is not implemented (available: ${
          SCHEMES.map((s) => s + "://").join(", ")
        }, plain paths)`,
      );
  }
}
