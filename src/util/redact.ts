/**
 * Credentials never leave the process: every value dl-driver writes or prints that came from the
 * config, the overrides or the command line goes through `redact`, which keeps which key was set
 * and replaces its value. Credential keys: secret and access keys, passwords, tokens (session,
 * SAS), connection strings, account keys, signatures. Inside strings: `AccountKey=…;`,
 * `SharedAccessSignature=…`, `sig=…` in URLs, `user:password@` in URIs, and `key=value`
 * arguments whose key is one.
 * @module
 */

export const REDACTED = "<redacted>";

const CREDENTIAL_KEY =
  /(secret|password|passwd|token|access_key|accesskey|account_key|accountkey|connection_string|sas|signature|credential|private_key)/i;

/** Whether a key names a credential. */
export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key.slice(key.lastIndexOf(".") + 1));
}

/** A string with embedded credentials replaced (connection strings, SAS URLs, `k=v` args). */
export function redactString(s: string): string {
  let out = s
    .replace(/(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s"']*/gi, `$1=${REDACTED}`)
    .replace(/([?&]sig=)[^&\s"']*/gi, `$1${REDACTED}`)
    // `scheme://user:password@host` (a URI carrying credentials).
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']*:)[^\s/@"']*@/gi, `$1${REDACTED}@`);
  // `path.to.secret_key=value` (overrides, argv).
  const eq = out.indexOf("=");
  if (
    eq > 0 && !/\s/.test(out.slice(0, eq)) &&
    isCredentialKey(out.slice(0, eq).replace(/^[+~]+/, ""))
  ) {
    out = `${out.slice(0, eq + 1)}${REDACTED}`;
  }
  return out;
}

/** A deep copy of `value` with every credential value replaced (keys kept). */
export function redact<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && isCredentialKey(key) && v !== null && v !== undefined && v !== "") {
      return REDACTED;
    }
    if (typeof v === "string") return redactString(v);
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(value) as T;
}
