import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { completeDocument } from './openapi/document';

/** OpenAPI for OMS integrators: the page at /docs, the JSON at /docs-json. */
export function setupDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gift card payment adapter')
      .setDescription(
        'Balance checks, holds, settlements, reversals, refunds and gift card fulfillment for an order ' +
          'management system, in front of a stored-value provider (Clutch). Amounts are decimal strings in ' +
          'major units with the scale of their ISO 4217 currency. Every mutating call needs an ' +
          '`Idempotency-Key` header; a retry with the same key and body returns the first answer.',
      )
      .setVersion('1')
      // The page's own origin: "Try it out" calls the adapter that serves it, wherever it runs.
      .addServer('/', 'This adapter (the host serving this document)')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque API key',
        description: 'An API key from API_KEYS (`local-dev-key` under `npm start`); scopes payments, read, operator',
      })
      .build(),
  );
  completeDocument(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
