import { randomBytes } from 'node:crypto';
import { CardVault } from './card-vault';

describe('CardVault', () => {
  const vault = new CardVault(randomBytes(32).toString('base64'));
  const number = '6012345678901234';

  it('encrypts so that the number is not in the stored text, and decrypts it back', () => {
    const stored = vault.protect(number);
    expect(stored.encrypted).not.toContain(number);
    expect(Buffer.from(stored.encrypted, 'base64').toString('latin1')).not.toContain(number);
    expect(vault.decrypt(stored.encrypted)).toBe(number);
    expect(stored.last4).toBe('1234');
  });

  it('gives equal hashes for equal numbers and fresh ciphertexts every time', () => {
    const a = vault.protect(number);
    const b = vault.protect(number);
    expect(a.hash).toBe(b.hash);
    expect(a.encrypted).not.toBe(b.encrypted);
    expect(vault.hash('6012345678901235')).not.toBe(a.hash);
  });

  it('keys the hash: another key gives another hash', () => {
    expect(new CardVault(randomBytes(32).toString('base64')).hash(number)).not.toBe(vault.hash(number));
  });

  it('refuses a tampered ciphertext', () => {
    const raw = Buffer.from(vault.encrypt(number), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => vault.decrypt(raw.toString('base64'))).toThrow();
  });
});
