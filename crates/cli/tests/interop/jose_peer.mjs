// Interop peer: Node `jose`. Reads a JSON array of requests on stdin, answers a JSON array
// (the protocol of jwcrypto_peer.py). The module path comes from TESSERA_JOSE_MODULE.
const jose = await import(process.env.TESSERA_JOSE_MODULE);

const b64d = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
const b64e = (b) => Buffer.from(b).toString('base64url');

async function keyFor(req, isPrivateOp) {
  const jwk = { ...req.key };
  if (jwk.kty === 'oct') return b64d(jwk.k);
  if (!isPrivateOp) {
    delete jwk.d; delete jwk.p; delete jwk.q; delete jwk.dp; delete jwk.dq; delete jwk.qi;
  }
  delete jwk.key_ops;
  return jose.importJWK(jwk, req.alg);
}

async function run(req) {
  const header = { alg: req.alg };
  if (req.key.kid) header.kid = req.key.kid;
  switch (req.op) {
    case 'sign': {
      const key = await keyFor(req, true);
      const data = b64d(req.data);
      if (req.format === 'compact') return new jose.CompactSign(data).setProtectedHeader(header).sign(key);
      if (req.format === 'flattened') return JSON.stringify(await new jose.FlattenedSign(data).setProtectedHeader(header).sign(key));
      return JSON.stringify(await new jose.GeneralSign(data).addSignature(key).setProtectedHeader(header).done().sign());
    }
    case 'verify': {
      const key = await keyFor(req, false);
      const opts = { algorithms: [req.alg] };
      let r;
      if (req.format === 'compact') r = await jose.compactVerify(req.token, key, opts);
      else if (req.format === 'flattened') r = await jose.flattenedVerify(JSON.parse(req.token), key, opts);
      else r = await jose.generalVerify(JSON.parse(req.token), key, opts);
      return b64e(r.payload);
    }
    case 'encrypt': {
      const key = await keyFor(req, false);
      const data = b64d(req.data);
      const prot = { ...header, enc: req.enc };
      if (req.cty) prot.cty = req.cty;
      if (req.format === 'compact') return new jose.CompactEncrypt(data).setProtectedHeader(prot).encrypt(key);
      if (req.format === 'flattened') return JSON.stringify(await new jose.FlattenedEncrypt(data).setProtectedHeader(prot).encrypt(key));
      return JSON.stringify(await new jose.GeneralEncrypt(data).setProtectedHeader(prot).addRecipient(key).encrypt());
    }
    case 'decrypt': {
      const key = await keyFor(req, true);
      const opts = { keyManagementAlgorithms: [req.alg], contentEncryptionAlgorithms: [req.enc] };
      let r;
      if (req.format === 'compact') r = await jose.compactDecrypt(req.token, key, opts);
      else if (req.format === 'flattened') r = await jose.flattenedDecrypt(JSON.parse(req.token), key, opts);
      else r = await jose.generalDecrypt(JSON.parse(req.token), key, opts);
      return b64e(r.plaintext);
    }
    default:
      throw new Error('unknown op ' + req.op);
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const answers = [];
for (const req of JSON.parse(input)) {
  try {
    answers.push({ ok: true, result: await run(req) });
  } catch (e) {
    answers.push({ ok: false, error: `${e.name}: ${e.message}` });
  }
}
process.stdout.write(JSON.stringify(answers));
