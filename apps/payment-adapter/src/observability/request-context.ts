import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request being served, for code far from the HTTP layer: the provider client sends its id to the
 * provider (`X-Request-Id`), so one id traces a call from the OMS through us to Clutch.
 */
const storage = new AsyncLocalStorage<{ requestId: string }>();

/** Enters the context for the rest of this request's asynchronous work (called from a Fastify onRequest hook). */
export const enterRequest = (requestId: string) => storage.enterWith({ requestId });

export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;
