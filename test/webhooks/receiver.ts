import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A secret for tests, in the Standard Webhooks form (`whsec_` + base64). */
export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.from('webhook-test-secret-32-bytes-long').toString('base64')}`;

export interface Arrival {
  at: number;
  id: string;
  headers: Record<string, string>;
  body: string;
  payload: { id: string; type: string; createdAt: string; data: Record<string, any> };
  /** What the receiver answered: a status, or 'hang' (no answer until the sender gives up). */
  answer: number | 'hang';
  /** Webhook.verify of `standardwebhooks` accepted the signature. */
  verified: boolean;
}

/** How the receiver answers one arrival: a status, or 'hang' (it keeps the connection open without answering). */
export type Behaviour = (arrival: Omit<Arrival, 'answer' | 'verified'>, seen: Arrival[]) => number | 'hang';

/**
 * The OMS's webhook receiver, as a plain Node HTTP server in the test: it records every arrival, verifies its
 * signature with `standardwebhooks`, and answers as `behave` says.
 */
export async function startReceiver(behave: Behaviour = () => 200, secret = TEST_WEBHOOK_SECRET) {
  const verifier = new Webhook(secret);
  const arrivals: Arrival[] = [];
  const hanging = new Set<IncomingMessage>();
  let behaviour = behave;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      try {
        verifier.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      const payload = JSON.parse(body);
      const seen = { at: Date.now(), id: headers['webhook-id'], headers, body, payload };
      const answer = behaviour(seen, arrivals);
      arrivals.push({ ...seen, answer, verified });
      if (answer === 'hang') {
        hanging.add(request);
        request.on('close', () => hanging.delete(request));
        return;
      }
      response.writeHead(answer, { 'content-type': 'text/plain' });
      response.end(answer >= 200 && answer < 300 ? 'ok' : `receiver says ${answer}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return {
    url,
    arrivals,
    behave(next: Behaviour) {
      behaviour = next;
    },
    /** Arrivals of one order, in the order they came. */
    forOrder: (orderId: string) => arrivals.filter((a) => a.payload.data.orderId === orderId),
    /** Delivered (answered 2xx) arrivals of one order, one per notification id, in the order they were accepted. */
    deliveredFor: (orderId: string) => {
      const ids = new Set<string>();
      return arrivals.filter((a) => a.payload.data.orderId === orderId && typeof a.answer === 'number' && a.answer < 300 && !ids.has(a.id) && ids.add(a.id));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export async function until<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
