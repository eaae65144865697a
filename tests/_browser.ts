/**
 * A real browser for tests: Debian's headless Chromium driven over the DevTools protocol (a
 * WebSocket), so a test sees what a user's browser sees: console messages, uncaught exceptions,
 * every network request, the DOM after the scripts ran, and a screenshot.
 */
/** What a page did while it was open. */
export interface PageLog {
  console: { type: string; text: string }[];
  exceptions: string[];
  requests: string[];
}

/** An open page: evaluate expressions in it, take a screenshot, close it. */
export interface Page {
  log: PageLog;
  eval<T>(expression: string): Promise<T>;
  /** Wait until `expression` is truthy (polled), or throw after `ms`. */
  waitFor(expression: string, ms?: number): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Open `url` in a fresh headless Chromium (file access from file:// pages allowed). */
export async function openPage(url: string, size = { width: 1280, height: 900 }): Promise<Page> {
  const profile = await Deno.makeTempDir({ prefix: "dl-driver-chromium-" });
  const child = new Deno.Command("chromium", {
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--remote-debugging-port=0",
      "--allow-file-access-from-files",
      `--window-size=${size.width},${size.height}`,
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const ws = await devtoolsSocket(child.stderr);
  let id = 0;
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  const log: PageLog = { console: [], exceptions: [], requests: [] };
  let session = "";
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data as string);
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
    else onEvent(msg.method, msg.params, log);
  };
  const send = (method: string, params: object = {}, toPage = true) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const n = ++id;
      pending.set(n, (m) => {
        pending.delete(n);
        if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
        else resolve(m.result as Record<string, unknown>);
      });
      ws.send(JSON.stringify({ id: n, method, params, ...(toPage && { sessionId: session }) }));
    });
  const { targetId } = await send("Target.createTarget", { url: "about:blank" }, false);
  session = (await send("Target.attachToTarget", { targetId, flatten: true }, false))
    .sessionId as string;
  for (const domain of ["Runtime", "Network", "Page", "Log"]) await send(`${domain}.enable`);
  await send("Page.navigate", { url });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  };
  return {
    log,
    eval: evaluate,
    async waitFor(expression, ms = 20_000) {
      const until = Date.now() + ms;
      // Not yet loaded (no body, no data) counts as not yet.
      const probe = `(() => { try { return !!(${expression}); } catch { return false; } })()`;
      while (!(await evaluate<boolean>(probe))) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${expression}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async screenshot(path) {
      const r = await send("Page.captureScreenshot", { format: "png" });
      await Deno.writeFile(path, Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0)));
    },
    async close() {
      ws.close();
      child.kill("SIGKILL");
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

function onEvent(method: string, params: Record<string, unknown>, log: PageLog): void {
  if (method === "Runtime.consoleAPICalled") {
    const args = params.args as { value?: unknown; description?: string }[];
    log.console.push({
      type: params.type as string,
      text: args.map((a) => a.value ?? a.description ?? "").join(" "),
    });
  } else if (method === "Runtime.exceptionThrown") {
    const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
    log.exceptions.push(d.exception?.description ?? d.text);
  } else if (method === "Network.requestWillBeSent") {
    log.requests.push((params.request as { url: string }).url);
  } else if (method === "Log.entryAdded") {
    const e = params.entry as { level: string; text: string };
    log.console.push({ type: e.level, text: e.text });
  }
}

/** The browser's DevTools WebSocket, from the line Chromium prints when it listens. */
async function devtoolsSocket(stderr: ReadableStream<Uint8Array>): Promise<WebSocket> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (m) {
      // Keep draining stderr so Chromium never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      const ws = new WebSocket(m[1]!);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      return ws;
    }
  }
  throw new Error(`Chromium did not start its DevTools server:\n${text}`);
}

/** A file path's URL for the browser. */
export function fileUrl(path: string): string {
  return new URL(`file://${path}`).href;
}
