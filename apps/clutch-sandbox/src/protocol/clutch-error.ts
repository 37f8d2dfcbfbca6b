import { ClutchErrorMessages } from '@gcpa/clutch';

/**
 * A refusal in Clutch's shape: `{success: false, errorMessage}` with an HTTP status. Business refusals
 * (unknown card, insufficient funds...) are HTTP 200, as Clutch answers them.
 */
export class ClutchError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorMessage: string,
  ) {
    super(errorMessage);
    this.name = 'ClutchError';
  }
}

export type BusinessRefusal = Exclude<
  keyof typeof ClutchErrorMessages,
  'unauthorized' | 'invalidRequestPrefix' | 'rateLimited' | 'internal'
>;

export const refuse = (reason: BusinessRefusal): ClutchError => new ClutchError(200, ClutchErrorMessages[reason]);

export const invalidRequest = (what: string, httpStatus = 400): ClutchError =>
  new ClutchError(httpStatus, `${ClutchErrorMessages.invalidRequestPrefix} ${what}`);

export const unauthorized = (): ClutchError => new ClutchError(401, ClutchErrorMessages.unauthorized);

/** Thrown when the sandbox chose not to answer at all (a fault): nothing may be written to the reply. */
export class ConnectionAbandoned extends Error {
  constructor(readonly fault: string) {
    super(`connection abandoned by the ${fault} fault`);
    this.name = 'ConnectionAbandoned';
  }
}
