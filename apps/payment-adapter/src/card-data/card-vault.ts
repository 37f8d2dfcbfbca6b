import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface ProtectedCard {
  /** HMAC-SHA256 of the number under a key derived from CARD_DATA_KEY: equal numbers, equal hashes. */
  hash: string;
  /** AES-256-GCM: base64 of iv (12) | tag (16) | ciphertext. */
  encrypted: string;
  last4: string;
}

/**
 * Card numbers at rest (rule 8): encrypted, looked up by keyed hash, shown as last four. PINs never come here.
 * One configured secret; separate encryption and hashing keys are derived from it with HKDF.
 */
export class CardVault {
  private readonly encryptionKey: Buffer;
  private readonly hashKey: Buffer;

  constructor(secretBase64: string) {
    const secret = Buffer.from(secretBase64, 'base64');
    if (secret.length !== 32) throw new RangeError('CARD_DATA_KEY must be 32 bytes');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'card-number-encryption', 32));
    this.hashKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'card-number-lookup', 32));
  }

  protect(cardNumber: string): ProtectedCard {
    return { hash: this.hash(cardNumber), encrypted: this.encrypt(cardNumber), last4: cardNumber.slice(-4) };
  }

  hash(cardNumber: string): string {
    return createHmac('sha256', this.hashKey).update(cardNumber).digest('hex');
  }

  encrypt(cardNumber: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(cardNumber, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  decrypt(encrypted: string): string {
    const raw = Buffer.from(encrypted, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export const maskLast4 = (last4: string) => `****${last4}`;
