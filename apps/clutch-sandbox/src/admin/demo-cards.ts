/** The demo cards seeded at start (SANDBOX_SEED_DEMO): fixed numbers, so the README can show them. Every one has a PIN (the adapter requires PINs by default, PIN_POLICY=required). */
export const DEMO_CARDS = [
  { cardNumber: '6000000000000001', pin: '1234', balance: '100.00', currency: 'USD', active: true },
  { cardNumber: '6000000000000002', pin: '5678', balance: '25.00', currency: 'USD', active: true },
  // A physical card that is not activated yet: `allocate {cardNumber}` activates it.
  { cardNumber: '6000000000000003', pin: '4321', balance: '0.00', currency: 'USD', active: false },
] as const;
