// DPoP interop peer: panva's `dpop` package makes proofs, Node `jose` checks Tessera's.
// Module paths come from TESSERA_DPOP_MODULE and TESSERA_JOSE_MODULE.
//   make ALG HTU HTM [NONCE] [TOKEN]   -> {"proof", "jkt"}
//   verify PROOF HTM HTU [TOKEN]       -> {"ok", "jkt", "claims"} (exit 1 when not ok)
import { createHash } from 'node:crypto';
const dpop = await import(process.env.TESSERA_DPOP_MODULE);
const jose = await import(process.env.TESSERA_JOSE_MODULE);

const [mode, ...args] = process.argv.slice(2);
if (mode === 'make') {
  const [alg, htu, htm, nonce, token] = args;
  const kp = await dpop.generateKeyPair(alg, { extractable: true });
  const proof = await dpop.generateProof(kp, htu, htm, nonce || undefined, token || undefined);
  const jwk = await jose.exportJWK(kp.publicKey);
  console.log(JSON.stringify({ proof, jkt: await jose.calculateJwkThumbprint(jwk) }));
} else if (mode === 'verify') {
  const [proof, htm, htu, token] = args;
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
    });
    if (payload.htm !== htm) throw new Error('htm');
    if (payload.htu !== htu) throw new Error('htu');
    if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number') throw new Error('claims');
    if (Math.abs(Date.now() / 1000 - payload.iat) > 60) throw new Error('iat');
    if (token !== undefined) {
      const ath = createHash('sha256').update(token).digest('base64url');
      if (payload.ath !== ath) throw new Error('ath');
    }
    if (['d', 'p', 'q', 'dp', 'dq', 'qi'].some((m) => m in protectedHeader.jwk)) throw new Error('private jwk');
    const jkt = await jose.calculateJwkThumbprint(protectedHeader.jwk);
    console.log(JSON.stringify({ ok: true, jkt, claims: payload }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e.message || e) }));
    process.exit(1);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
