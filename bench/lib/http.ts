import http from 'node:http';

export interface JsonResponse<T = any> {
  status: number;
  body: T;
}

/** A small keep-alive JSON client for 127.0.0.1 targets (the load generator's own overhead stays low). */
export class JsonClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly base: URL;

  constructor(baseUrl: string, private readonly headers: Record<string, string> = {}) {
    this.base = new URL(baseUrl);
    if (this.base.hostname !== '127.0.0.1') throw new Error(`the bench only targets 127.0.0.1, not ${this.base.hostname}`);
  }

  request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            ...this.headers,
            ...headers,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: response.statusCode ?? 0, body: parsed as T });
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number) {
    return this.request<T>('POST', path, body, headers, timeoutMs);
  }

  get<T = any>(path: string, timeoutMs?: number) {
    return this.request<T>('GET', path, undefined, {}, timeoutMs);
  }

  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }

  close() {
    this.agent.destroy();
  }
}

/** Runs `work(i)` for i in 0..count-1 with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
