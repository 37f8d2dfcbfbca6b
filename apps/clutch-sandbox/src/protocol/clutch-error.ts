import { CLUTCH_ERRORS, ClutchRefusal, ClutchTransportMessages } from '@gcpa/clutch';

/**
 * A refusal in Clutch's shape: HTTP 400 `{success: false, errorCode, errorMessage, requestRef}`. The code
 * is filled in by the exception filter from the sandbox's behaviour (so tests can switch the codes it uses).
 */
export class ClutchError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorMessage: string,
    readonly refusal?: ClutchRefusal,
  ) {
    super(errorMessage);
    this.name = 'ClutchError';
  }
}

export type BusinessRefusal = Exclude<ClutchRefusal, 'invalidRequest'>;

export const refuse = (reason: BusinessRefusal): ClutchError => new ClutchError(400, CLUTCH_ERRORS[reason].message, reason);

export const invalidRequest = (what: string, httpStatus = 400): ClutchError =>
  new ClutchError(httpStatus, `${CLUTCH_ERRORS.invalidRequest.message} ${what}`, httpStatus === 400 ? 'invalidRequest' : undefined);

export const unauthorized = (): ClutchError => new ClutchError(401, ClutchTransportMessages.unauthorized);

/** Thrown when the sandbox chose not to answer at all (a fault): nothing may be written to the reply. */
export class ConnectionAbandoned extends Error {
  constructor(readonly fault: string) {
    super(`connection abandoned by the ${fault} fault`);
    this.name = 'ConnectionAbandoned';
  }
}
