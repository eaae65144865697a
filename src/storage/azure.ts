/**
 * `az://container/prefix` (and `https://account.blob.core.windows.net/container/prefix`) backend
 * over `@azure/storage-blob`. Credentials from the environment: a connection string
 * (`AZURE_STORAGE_CONNECTION_STRING`), an account key (`AZURE_STORAGE_ACCOUNT` +
 * `AZURE_STORAGE_KEY`), or a SAS token (`AZURE_STORAGE_SAS_TOKEN`). Ranged downloads; block
 * uploads for large or streamed objects (blocks stay invisible until committed, so a failed
 * upload leaves nothing); listing by prefix, page by page. Loaded only when used.
 * @module
 */
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import {
  BlobServiceClient,
  type ContainerClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import {
  abortable,
  type Capabilities,
  type GetOptions,
  joinKey,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  splitBody,
  type StorageBackend,
  StorageError,
  type StorageErrorCode,
} from "./backend.ts";
import { DEPENDENCIES } from "../version.ts";
import { concatBytes } from "../util/bytes.ts";
import type { BackendStats } from "../metrics/records.ts";
import { bounded, timedOut, timeoutError, type Timeouts, timeoutsOf } from "./timeouts.ts";

/** Azure settings (dl-driver's block-upload knobs; credentials come from the environment). */
export interface AzureOptions {
  multipart_threshold_bytes?: number | null;
  multipart_part_size_bytes?: number | null;
  multipart_concurrency?: number | null;
  /** Connection string (else AZURE_STORAGE_CONNECTION_STRING). */
  connection_string?: string | null;
  /** Tries per request (the S3 key's name, shared with Azure). */
  s3_max_attempts?: number | null;
  connect_timeout_s?: number | null;
  idle_timeout_s?: number | null;
  request_timeout_s?: number | null;
}

const MiB = 1024 * 1024;

interface AzError {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
}

function parseUri(uri: string): { account?: string; container: string; prefix: string } {
  let m = /^az:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m) return { container: m[1]!, prefix: m[2]!.replace(/\/+$/, "") };
  m = /^https:\/\/([^.]+)\.blob\.core\.windows\.net\/([^/]+)\/?(.*)$/.exec(uri);
  if (m) return { account: m[1], container: m[2]!, prefix: m[3]!.replace(/\/+$/, "") };
  throw new StorageError("invalid", "open", uri, "expected az://container[/prefix]");
}

function serviceClient(
  account: string | undefined,
  conn: string | undefined,
  pipeline: StoragePipelineOptions,
): BlobServiceClient {
  const env = (k: string) => Deno.env.get(k);
  const connection = conn ?? env("AZURE_STORAGE_CONNECTION_STRING");
  if (connection) return BlobServiceClient.fromConnectionString(connection, pipeline);
  const name = account ?? env("AZURE_STORAGE_ACCOUNT");
  const key = env("AZURE_STORAGE_KEY") ?? env("AZURE_STORAGE_ACCESS_KEY");
  const sas = env("AZURE_STORAGE_SAS_TOKEN");
  if (name && key) {
    return new BlobServiceClient(
      `https://${name}.blob.core.windows.net`,
      new StorageSharedKeyCredential(name, key),
      pipeline,
    );
  }
  if (name && sas) {
    return new BlobServiceClient(
      `https://${name}.blob.core.windows.net?${sas.replace(/^\?/, "")}`,
      undefined,
      pipeline,
    );
  }
  throw new StorageError(
    "permission",
    "open",
    `az://`,
    "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with " +
      "AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN",
  );
}

/** Azure Blob container backend. */
export class AzureBackend implements StorageBackend {
  readonly scheme = "az";
  readonly type = "azure";
  readonly sdk = `@azure/storage-blob ${DEPENDENCIES["@azure/storage-blob"]}`;
  readonly root: string;
  readonly capabilities: Capabilities = {
    rangeRead: true,
    directIO: false,
    alignment: 1,
    multipart: true,
    atomicPut: true,
    reopenable: true,
    chunkReuse: false,
  };
  readonly container: ContainerClient;
  readonly prefix: string;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #concurrency: number;
  readonly #stats: BackendStats = { requests: 0, retries: 0 };
  readonly #timeouts: Timeouts;

  /** Aborts every request (the run's signal). */
  readonly #runSignal?: AbortSignal;

  constructor(uri: string, opts: AzureOptions = {}, runSignal?: AbortSignal) {
    this.#runSignal = runSignal;
    const u = parseUri(uri);
    this.prefix = u.prefix;
    this.root = `az://${u.container}${u.prefix ? "/" + u.prefix : ""}`;
    this.#timeouts = timeoutsOf(opts);
    // No request waits forever: every try is bounded, and retried a bounded number of times.
    const pipeline = {
      retryOptions: { maxTries: opts.s3_max_attempts ?? 5, tryTimeoutInMs: this.#timeouts.idleMs },
    };
    this.container = serviceClient(u.account, opts.connection_string ?? undefined, pipeline)
      .getContainerClient(u.container);
    this.#threshold = opts.multipart_threshold_bytes ?? 16 * MiB;
    this.#partSize = opts.multipart_part_size_bytes ?? 8 * MiB;
    this.#concurrency = opts.multipart_concurrency ?? 4;
  }

  /** Requests made so far (the SDK retries internally; retries are not counted here). */
  stats(): BackendStats {
    return { ...this.#stats };
  }

  #blob(key: string) {
    return this.container.getBlockBlobClient(joinKey(this.prefix, key));
  }

  /** One operation (the SDK's retries included), bounded by `request_timeout_s`. */
  async #call<T>(
    op: string,
    key: string,
    fn: (abortSignal: AbortSignal) => Promise<T>,
    caller?: AbortSignal,
  ): Promise<T> {
    this.#stats.requests++;
    const signal = bounded(this.#timeouts, caller, this.#runSignal);
    try {
      return await fn(signal);
    } catch (e) {
      if (timedOut(signal, caller, this.#runSignal)) {
        throw timeoutError(op, key ? `${this.root}/${key}` : this.root, this.#timeouts, e);
      }
      throw this.#error(op, key, e as AzError);
    }
  }

  #error(op: string, key: string, e: AzError): Error {
    // Missing Deno permissions are a usage problem, reported as such by the CLI.
    if ((e as unknown) instanceof Deno.errors.NotCapable) return e as unknown as Error;
    const uri = key ? `${this.root}/${key}` : this.root;
    let code: StorageErrorCode = "io";
    let detail = `${e.code ?? e.name ?? "Error"}: ${
      (e.message ?? "request failed").split("\n")[0]
    }`;
    if (e.code === "ContainerNotFound") {
      code = "not_found";
      detail = `container '${this.container.containerName}' does not exist`;
    } else if (e.statusCode === 404 || e.code === "BlobNotFound") {
      code = "not_found";
      detail = "no such object";
    } else if (
      e.statusCode === 403 || /^Authori[sz]ationFailure|^AuthenticationFailed/.test(e.code ?? "")
    ) {
      code = "permission";
      detail = `access denied (${e.code ?? 403}): check the Azure credentials`;
    } else if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket/i.test(`${e.code} ${e.message}`)) {
      detail = `cannot reach the Azure endpoint (${e.message?.split("\n")[0]})`;
    }
    return new StorageError(code, op, uri, detail, { cause: e, retryable: code === "io" });
  }

  async #download(key: string, offset: number, count: number | undefined, opts?: GetOptions) {
    const blob = this.#blob(key);
    const r = await this.#call(
      count === undefined ? "GET" : "ranged GET",
      key,
      (abortSignal) => blob.download(offset, count, { abortSignal }),
      opts?.signal,
    );
    const parts: Uint8Array[] = [];
    let n = 0;
    try {
      for await (const c of r.readableStreamBody as AsyncIterable<Uint8Array>) {
        parts.push(c);
        n += c.byteLength;
      }
    } catch (e) {
      throw this.#error(count === undefined ? "GET" : "ranged GET", key, e as AzError);
    }
    const all = concatBytes(parts);
    if (opts?.buffer && opts.buffer.byteLength >= n) {
      opts.buffer.set(all);
      return opts.buffer.subarray(0, n);
    }
    return all;
  }

  get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    return this.#download(key, 0, undefined, opts);
  }

  async getRange(
    key: string,
    offset: number,
    length: number,
    opts?: GetOptions,
  ): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    try {
      return await this.#download(key, offset, length, opts);
    } catch (e) {
      const status = ((e as StorageError).cause as AzError | undefined)?.statusCode;
      if (status === 416) return new Uint8Array(0); // range starts past the end
      throw e;
    }
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<number> {
    const blob = this.#blob(key);
    const b = await splitBody(body, this.#threshold);
    if ("whole" in b) {
      await this.#call(
        "PUT",
        key,
        (abortSignal) => blob.uploadData(b.whole, { abortSignal }),
        opts?.signal,
      );
      return b.whole.byteLength;
    }
    // Block upload; the SDK's block scheduler needs Node Buffers.
    const buffers = Readable.from((async function* () {
      for await (const c of abortable(b.stream, opts?.signal)) {
        yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
    })());
    await this.#call(
      "block PUT",
      key,
      (abortSignal) =>
        blob.uploadStream(buffers, this.#partSize, this.#concurrency, { abortSignal }),
      opts?.signal,
    );
    return b.bytes();
  }

  async stat(key: string): Promise<ObjectInfo> {
    const p = await this.#call(
      "HEAD",
      key,
      (abortSignal) => this.#blob(key).getProperties({ abortSignal }),
    );
    return { key, size: Number(p.contentLength ?? 0) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const full = joinKey(this.prefix, prefix);
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    try {
      const pages = this.container.listBlobsFlat({ prefix: full ? full + "/" : undefined })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        this.#stats.requests++;
        for (const b of page.segment.blobItems) {
          yield { key: b.name.slice(strip), size: Number(b.properties.contentLength ?? 0) };
        }
      }
    } catch (e) {
      throw this.#error("LIST", prefix, e as AzError);
    }
  }

  async delete(key: string): Promise<void> {
    await this.#call(
      "DELETE",
      key,
      (abortSignal) => this.#blob(key).deleteIfExists({ abortSignal }),
    );
  }

  async deletePrefix(prefix: string): Promise<void> {
    // In batches as the listing streams (no list of every key in memory).
    let keys: string[] = [];
    const flush = async () => {
      for (let i = 0; i < keys.length; i += 64) {
        await Promise.all(keys.slice(i, i + 64).map((k) => this.delete(k)));
      }
      keys = [];
    };
    for await (const o of this.list(prefix)) {
      keys.push(o.key);
      if (keys.length >= 1000) await flush();
    }
    await flush();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
