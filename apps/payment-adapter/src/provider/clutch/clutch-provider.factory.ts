import { ClutchGiftCardProvider, parseErrorCodeOverrides } from '@gcpa/clutch';
import { Logger } from '@nestjs/common';
import { AdapterConfig } from '../../config/adapter.config';
import { currentRequestId } from '../../observability/request-context';
import { GiftCardProviderFactory } from '../provider-factory';

/** The Clutch client from the adapter's configuration (`CLUTCH_*`). */
export const createClutchProvider: GiftCardProviderFactory = (config: AdapterConfig) =>
  new ClutchGiftCardProvider(
    {
      baseUrl: config.clutchBaseUrl,
      apiKey: config.CLUTCH_API_KEY,
      apiSecret: config.CLUTCH_API_SECRET,
      brand: config.CLUTCH_BRAND,
      location: config.CLUTCH_LOCATION,
      terminal: config.CLUTCH_TERMINAL,
      timeoutMs: config.CLUTCH_TIMEOUT_MS,
      errorCodes: parseErrorCodeOverrides(config.CLUTCH_ERROR_CODES),
      clockSkewMs: config.CLUTCH_CLOCK_SKEW_MS,
      currentRequestId,
    },
    new Logger(ClutchGiftCardProvider.name),
  );
