/**
 * `s3://bucket/prefix` backend over `@aws-sdk/client-s3` (+ `lib-storage` for multipart).
 * Endpoint, region, path style and credentials come from DLIO's `storage.storage_options`, else
 * from the standard AWS environment and profile. Ranged GETs; multipart upload above a threshold
 * (aborted on failure, so nothing is left); paginated, streamed listing; the SDK's retries with
 * backoff for throttling and transient errors, counted in `stats()`.
 * Loaded only when an s3:// URI is used.
 * @module
 */
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
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
import type { BackendStats } from "../metrics/records.ts";
import { bounded, timedOut, timeoutError, type Timeouts, timeoutsOf } from "./timeouts.ts";

/** S3 settings (DLIO's `storage_options` keys plus dl-driver's multipart knobs). */
export interface S3Options {
  access_key_id?: string | null;
  secret_access_key?: string | null;
  endpoint_url?: string | null;
  region?: string | null;
  s3_force_path_style?: boolean | null;
  s3_max_attempts?: number | null;
  multipart_threshold_bytes?: number | null;
  multipart_part_size_bytes?: number | null;
  multipart_concurrency?: number | null;
  connect_timeout_s?: number | null;
  idle_timeout_s?: number | null;
  request_timeout_s?: number | null;
}

const MiB = 1024 * 1024;

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $fault?: string;
  $retryable?: unknown;
}

/** S3 (or S3-compatible) bucket backend. */
export class S3Backend implements StorageBackend {
  readonly scheme = "s3";
  readonly type = "s3";
  readonly sdk = `@aws-sdk/client-s3 ${DEPENDENCIES["@aws-sdk/client-s3"]}`;
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
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #stats: BackendStats = { requests: 0, retries: 0 };
  readonly #timeouts: Timeouts;
  /** When this backend was opened (uploads begun before are a dead writer's). */
  readonly #opened = Date.now();

  /** Aborts every request (the run's signal). */
  readonly #runSignal?: AbortSignal;

  constructor(uri: string, opts: S3Options = {}, runSignal?: AbortSignal) {
    this.#runSignal = runSignal;
    this.#timeouts = timeoutsOf(opts);
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!m) throw new StorageError("invalid", "open", uri, "expected s3://bucket[/prefix]");
    this.bucket = m[1]!;
    this.prefix = m[2]!.replace(/\/+$/, "");
    this.root = `s3://${this.bucket}${this.prefix ? "/" + this.prefix : ""}`;
    const env = (k: string) => Deno.env.get(k);
    const endpoint = opts.endpoint_url ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL");
    const key = opts.access_key_id, secret = opts.secret_access_key;
    this.client = new S3Client({
      region: opts.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1",
      endpoint: endpoint ?? undefined,
      forcePathStyle: opts.s3_force_path_style ?? !!endpoint,
      maxAttempts: opts.s3_max_attempts ?? 5,
      credentials: key && secret ? { accessKeyId: key, secretAccessKey: secret } : undefined,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      // No request waits forever: a connection, and every try, gives up when nothing moves.
      requestHandler: {
        connectionTimeout: this.#timeouts.connectMs,
        requestTimeout: this.#timeouts.idleMs,
        throwOnRequestTimeout: true,
      },
    });
    this.#threshold = opts.multipart_threshold_bytes ?? 16 * MiB;
    this.#partSize = Math.max(5 * MiB, opts.multipart_part_size_bytes ?? 8 * MiB);
    this.#concurrency = opts.multipart_concurrency ?? 4;
    this.#maxAttempts = opts.s3_max_attempts ?? 5;
  }

  #key(key: string): string {
    return joinKey(this.prefix, key);
  }

  /** Requests made and SDK retries so far. */
  stats(): BackendStats {
    return { ...this.#stats };
  }

  /** One operation (the SDK's retries included), bounded by `request_timeout_s`. */
  async #send<T extends { $metadata?: { attempts?: number } }>(
    op: string,
    key: string,
    fn: (signal: AbortSignal) => Promise<T>,
    caller?: AbortSignal,
  ): Promise<T> {
    this.#stats.requests++;
    const signal = bounded(this.#timeouts, caller, this.#runSignal);
    try {
      const r = await fn(signal);
      this.#stats.retries += Math.max(0, (r.$metadata?.attempts ?? 1) - 1);
      return r;
    } catch (e) {
      const err = e as SdkError;
      this.#stats.retries += Math.max(0, (err.$metadata?.attempts ?? 1) - 1);
      if (timedOut(signal, caller, this.#runSignal)) {
        throw timeoutError(op, key ? `${this.root}/${key}` : this.root, this.#timeouts, e);
      }
      throw this.#error(op, key, err);
    }
  }

  /** The connection failed while the body was streaming. */
  #midBody(op: string, key: string, e: SdkError): StorageError {
    return new StorageError(
      "io",
      op,
      `${this.root}/${key}`,
      `connection failed mid-body (${e.message})`,
      {
        cause: e,
        retryable: true,
      },
    );
  }

  #error(op: string, key: string, e: SdkError): Error {
    // Missing Deno permissions are a usage problem, reported as such by the CLI.
    if ((e as unknown) instanceof Deno.errors.NotCapable) return e as unknown as Error;
    const uri = key ? `${this.root}/${key}` : this.root;
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? e.code ?? "Error";
    const attempts = e.$metadata?.attempts ?? 1;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    let code: StorageErrorCode = "io";
    let detail = `${name}: ${e.message ?? "request failed"}${tries}`;
    if (name === "NoSuchBucket") {
      code = "not_found";
      detail = `bucket '${this.bucket}' does not exist`;
    } else if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
      code = "not_found";
      detail = "no such object";
    } else if (
      ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken"].includes(
        name,
      ) ||
      status === 403
    ) {
      code = "permission";
      detail =
        `access denied (${name}): check the credentials (storage_options or AWS_* environment)`;
    } else if (name === "TimeoutError" || e.code === "ETIMEDOUT") {
      detail = `no answer from the S3 endpoint within storage_options.idle_timeout_s ` +
        `(${this.#timeouts.idleMs / 1000} s)${tries}`;
    } else if (
      /ECONNREFUSED|ECONNRESET|connect|socket|EPIPE|ETIMEDOUT/i.test(`${name} ${e.message}`)
    ) {
      detail = `cannot reach the S3 endpoint (${e.message})${tries}`;
    }
    return new StorageError(code, op, uri, detail, { cause: e, retryable: code === "io" });
  }

  async #body(
    out: { Body?: { transformToByteArray(): Promise<Uint8Array> } },
    buffer?: Uint8Array,
  ): Promise<Uint8Array> {
    const bytes = await out.Body!.transformToByteArray();
    if (buffer && buffer.byteLength >= bytes.byteLength) {
      buffer.set(bytes);
      return buffer.subarray(0, bytes.byteLength);
    }
    return bytes;
  }

  /**
   * Reads retry a body that fails mid-transfer (the SDK retries requests, not bodies), with
   * exponential backoff, up to `s3_max_attempts`; each retry is counted.
   */
  async #retrying(fn: () => Promise<Uint8Array>): Promise<Uint8Array> {
    for (let attempt = 1;; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const transient = e instanceof StorageError && e.code === "io" && e.retryable &&
          /mid-body/.test(e.message);
        if (!transient || attempt >= this.#maxAttempts) throw e;
        this.#stats.retries++;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  async get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    return await this.#retrying(() => this.#get(key, opts));
  }

  async #get(key: string, opts?: GetOptions): Promise<Uint8Array> {
    const out = await this.#send(
      "GET",
      key,
      (abortSignal) =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
          abortSignal,
        }),
      opts?.signal,
    );
    try {
      return await this.#body(out as never, opts?.buffer);
    } catch (e) {
      throw this.#midBody("GET", key, e as SdkError);
    }
  }

  getRange(key: string, offset: number, length: number, opts?: GetOptions): Promise<Uint8Array> {
    return this.#retrying(() => this.#getRange(key, offset, length, opts));
  }

  async #getRange(
    key: string,
    offset: number,
    length: number,
    opts?: GetOptions,
  ): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    try {
      const out = await this.#send("ranged GET", key, (abortSignal) =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(key),
            Range: `bytes=${offset}-${offset + length - 1}`,
          }),
          { abortSignal },
        ), opts?.signal);
      try {
        return await this.#body(out as never, opts?.buffer);
      } catch (e) {
        throw this.#midBody("ranged GET", key, e as SdkError);
      }
    } catch (e) {
      // A range that starts at or past the end is "not satisfiable" (416): no bytes.
      const status = ((e as StorageError).cause as SdkError | undefined)?.$metadata?.httpStatusCode;
      if (status === 416) return new Uint8Array(0);
      throw e;
    }
  }

  async put(key: string, body: PutBody, opts?: PutOptions): Promise<number> {
    const b = await splitBody(body, this.#threshold);
    if ("whole" in b) {
      const data = b.whole;
      await this.#send("PUT", key, (abortSignal) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(key),
            Body: data,
            ContentLength: data.byteLength,
          }),
          { abortSignal },
        ), opts?.signal);
      return data.byteLength;
    }
    // On abort the body stream fails; with leavePartsOnError false, lib-storage then aborts the
    // multipart upload before `done()` rejects, so nothing is left behind.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.#key(key),
        Body: Readable.from(abortable(b.stream, opts?.signal)),
      },
      partSize: this.#partSize,
      queueSize: this.#concurrency,
      leavePartsOnError: false,
    });
    await this.#send(
      "multipart PUT",
      key,
      // An abort fails the body stream and lib-storage aborts the upload itself (calling
      // upload.abort() here would cancel that clean-up); each part is bounded by the SDK's
      // connect and idle timeouts.
      () => upload.done() as Promise<{ $metadata?: { attempts?: number } }>,
      opts?.signal,
    );
    return b.bytes();
  }

  async stat(key: string): Promise<ObjectInfo> {
    const out = await this.#send(
      "HEAD",
      key,
      (abortSignal) =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
          abortSignal,
        }),
    );
    return { key, size: Number(out.ContentLength ?? 0) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const full = joinKey(this.prefix, prefix);
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, Prefix: full ? full + "/" : undefined },
    );
    try {
      for await (const page of pages) {
        this.#stats.requests++;
        for (const o of page.Contents ?? []) {
          yield { key: o.Key!.slice(strip), size: Number(o.Size ?? 0) };
        }
      }
    } catch (e) {
      throw this.#error("LIST", prefix, e as SdkError);
    }
  }

  /** Abort the multipart uploads under `prefix` begun before this backend was opened. */
  async cleanLeftovers(prefix: string): Promise<number> {
    const full = joinKey(this.prefix, prefix);
    let aborted = 0, keyMarker: string | undefined, idMarker: string | undefined;
    for (;;) {
      const page = await this.#send("LIST uploads", prefix, (abortSignal) =>
        this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: full ? full + "/" : undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: idMarker,
          }),
          { abortSignal },
        ));
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated && u.Initiated.getTime() >= this.#opened)) {
          continue;
        }
        await this.#send("ABORT upload", u.Key, (abortSignal) =>
          this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: u.Key,
              UploadId: u.UploadId,
            }),
            { abortSignal },
          ));
        aborted++;
      }
      if (!page.IsTruncated) return aborted;
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#send(
      "DELETE",
      key,
      (abortSignal) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
          abortSignal,
        }),
    );
  }

  async deletePrefix(prefix: string): Promise<void> {
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      await this.#send("DELETE", prefix, (abortSignal) =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((k) => ({ Key: this.#key(k) })), Quiet: true },
          }),
          { abortSignal },
        ));
    };
    for await (const o of this.list(prefix)) {
      batch.push(o.key);
      if (batch.length === 1000) await flush();
    }
    await flush();
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}
