// Tessera debugger. Every decode, verification, signature, decryption and key generation is
// done by the Tessera process that served this page, through its JSON API on this origin
// (api/*). Nothing is sent anywhere else, nothing is stored in the browser.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  let access = new URLSearchParams(location.search).get('k') || '';

  // ---- the API ------------------------------------------------------------------------------

  async function api(path, body) {
    let resp;
    try {
      resp = await fetch('api/' + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Tessera-Debugger': access || 'page' },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      return { error: { code: 'unreachable', message: 'the debugger does not answer (did `tessera debug` stop?)' } };
    }
    let data;
    try {
      data = await resp.json();
    } catch (e) {
      data = { error: { code: 'http_' + resp.status, message: 'unexpected answer (' + resp.status + ')' } };
    }
    if (data.error && data.error.code === 'access_denied') {
      $('access').hidden = false;
    }
    return data;
  }

  // Runs `fn` once input pauses; a newer call supersedes older answers.
  function debounced(fn, ms) {
    let timer = 0;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }
  function latest() {
    let n = 0;
    return { next: () => ++n, current: (i) => i === n };
  }

  // ---- rendering helpers --------------------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function renderParts(target, parts, fallback) {
    target.replaceChildren();
    if (!parts || parts.length === 0) {
      target.textContent = fallback || '';
      return;
    }
    parts.forEach((p, i) => {
      if (i > 0) target.append(el('span', 'dot', '.'));
      const s = el('span', 'p-' + p.name, p.text);
      s.title = p.name.replace('_', ' ');
      target.append(s);
    });
  }

  function renderWarnings(target, warnings) {
    target.replaceChildren();
    for (const w of warnings || []) {
      const li = el('li');
      li.append(el('code', '', w.code), ' ', w.message);
      target.append(li);
    }
  }

  function span(seconds) {
    const s = Math.abs(Math.round(seconds));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' days';
  }

  function relative(name, t) {
    const now = Date.now() / 1000;
    const d = span(t - now);
    const future = t > now;
    switch (name) {
      case 'exp': return future ? 'expires in ' + d : 'expired ' + d + ' ago';
      case 'nbf': return future ? 'valid in ' + d : 'valid since ' + d + ' ago';
      case 'iat': return future ? 'issued ' + d + ' in the future' : 'issued ' + d + ' ago';
      default: return future ? d + ' from now' : d + ' ago';
    }
  }

  function dateText(t) {
    const d = new Date(t * 1000);
    if (isNaN(d.getTime())) return null;
    const local = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
    return { local, utc: d.toISOString().replace('.000Z', 'Z') };
  }

  function renderClaims(box, table, claims) {
    const body = table.tBodies[0];
    body.replaceChildren();
    box.hidden = !claims || claims.length === 0;
    for (const c of claims || []) {
      const tr = el('tr');
      const name = el('td', 'name');
      name.append(el('code', '', c.name));
      const value = el('td', 'value');
      value.append(el('span', 'mono', typeof c.value === 'string' ? c.value : JSON.stringify(c.value)));
      if (typeof c.date === 'number') {
        const d = dateText(c.date);
        if (d) {
          const when = el('span', 'when');
          when.dataset.claim = c.name;
          when.dataset.time = String(c.date);
          when.textContent = d.local + ' · ' + d.utc + ' · ' + relative(c.name, c.date);
          value.append(when);
        }
      }
      const meaning = el('td', 'meaning', c.description || '');
      if (c.spec) meaning.append(el('span', 'spec', c.spec));
      tr.append(name, value, meaning);
      body.append(tr);
    }
  }

  // Relative times stay true while the page is open.
  setInterval(() => {
    for (const w of document.querySelectorAll('.when')) {
      const t = Number(w.dataset.time);
      const d = dateText(t);
      if (d) w.textContent = d.local + ' · ' + d.utc + ' · ' + relative(w.dataset.claim, t);
    }
  }, 15000);

  function showResult(target, state, title, detail, code) {
    target.className = 'result' + (state ? ' ' + state : '');
    target.replaceChildren();
    if (!title) return;
    const head = el('span', '', title);
    target.append(head);
    if (code) target.append(' ', el('code', '', code));
    if (detail) target.append(el('span', 'detail', detail));
  }

  function showError(target, err) {
    showResult(target, 'bad', 'Error', err.message, err.code);
  }

  // ---- decode & verify ----------------------------------------------------------------------

  const decodeSeq = latest();
  const verifySeq = latest();
  let inspected = null;

  function clearDecoded() {
    inspected = null;
    $('summary').replaceChildren();
    renderParts($('parts'), []);
    $('header').textContent = '';
    $('payload').textContent = '';
    renderWarnings($('warnings'), []);
    renderWarnings($('check-warnings'), []);
    renderClaims($('claims-box'), $('claims'), []);
    $('sizes-box').hidden = true;
    $('inner-box').hidden = true;
    $('jwe-only').hidden = true;
    $('payload-title').textContent = 'Payload';
  }

  async function decode() {
    const token = $('token').value;
    const i = decodeSeq.next();
    if (!token.trim()) {
      clearDecoded();
      showResult($('result'), '', 'Paste a token and its key to verify it.');
      return;
    }
    const r = await api('inspect', { token });
    if (!decodeSeq.current(i)) return;
    if (r.error) {
      clearDecoded();
      showError($('result'), r.error);
      return;
    }
    inspected = r;
    const summary = $('summary');
    summary.replaceChildren();
    const kind = r.kind === 'jwe' ? 'JWE (encrypted)' : 'JWS (signed)';
    summary.append(el('span', 'badge', kind), ' ', el('span', 'badge', r.format === 'json' ? 'JSON serialization' : 'compact'));
    const alg = r.header && r.header.alg;
    if (alg) summary.append(' ', el('span', 'badge', 'alg ' + alg));
    if (r.header && r.header.enc) summary.append(' ', el('span', 'badge', 'enc ' + r.header.enc));
    if (r.nested) summary.append(' ', el('span', 'badge', 'nested JWT'));
    renderParts($('parts'), r.parts, r.format === 'json' ? JSON.stringify(JSON.parse(r.token), null, 2) : r.token);
    $('header').textContent = r.header_text || '';
    renderWarnings($('warnings'), r.warnings);
    $('jwe-only').hidden = r.kind !== 'jwe';
    $('key-title').firstElementChild.textContent = r.kind === 'jwe' ? 'Decrypt: key' : 'Verify: key';
    $('inner-box').hidden = true;
    if (r.kind === 'jwe') {
      $('payload-title').textContent = 'Plaintext';
      $('payload').textContent = 'Encrypted: give the key (or password) to decrypt.';
      renderClaims($('claims-box'), $('claims'), []);
      const body = $('sizes').tBodies[0];
      body.replaceChildren();
      for (const [name, size] of Object.entries(r.sizes || {})) {
        const tr = el('tr');
        const th = el('th', 'p-' + name, name.replace('_', ' '));
        th.scope = 'row';
        tr.append(th, el('td', '', size === null ? 'not base64url' : size + ' bytes'));
        body.append(tr);
      }
      $('sizes-box').hidden = false;
    } else {
      $('payload-title').textContent = 'Payload';
      $('payload').textContent = r.payload_text || '';
      renderClaims($('claims-box'), $('claims'), r.claims);
      $('sizes-box').hidden = true;
    }
    await check();
  }

  function checks() {
    const leeway = parseInt($('leeway').value, 10);
    return {
      iss: $('iss').value || null,
      aud: $('aud').value || null,
      leeway: Number.isFinite(leeway) && leeway >= 0 ? leeway : null,
      require_exp: $('require-exp').checked,
    };
  }

  function keyInput(textId, encodingId) {
    return { text: $(textId).value, encoding: encodingId ? $(encodingId).value : 'auto' };
  }

  function verdict(target, v) {
    if (v.error) return showError(target, v.error);
    if (v.verified) {
      const what = v.claims_checked ? 'Signature verified, claims valid' : 'Signature verified';
      const by = [v.alg, v.kid ? 'kid ' + v.kid : null].filter(Boolean).join(', ');
      showResult(target, 'ok', '✓ ' + what, by ? 'with ' + by : '');
    } else {
      const title = v.stage === 'claims' ? '✗ Signature verified, but a claim check failed'
        : v.stage === 'key' ? '✗ The key cannot verify this token' : '✗ Signature not verified';
      showResult(target, 'bad', title, v.message, v.code);
    }
  }

  async function check() {
    const i = verifySeq.next();
    const token = $('token').value;
    const r = inspected;
    if (!r) return;
    const hasKey = $('key').value.trim() !== '' || (r.kind === 'jwe' && $('password').value !== '');
    renderWarnings($('check-warnings'), []);
    if (!hasKey) {
      showResult($('result'), '', r.kind === 'jwe' ? 'Not decrypted: give the key or password.' : 'Not verified: give the key to check the signature.');
      return;
    }
    if (r.kind === 'jwe') {
      const body = { token, checks: checks() };
      if ($('password').value !== '') body.password = $('password').value;
      else body.key = keyInput('key', 'key-encoding');
      if ($('verify-key').value.trim() !== '') body.verify_key = keyInput('verify-key');
      const d = await api('decrypt', body);
      if (!verifySeq.current(i)) return;
      renderDecrypted(d);
      return;
    }
    const v = await api('verify', { token, key: keyInput('key', 'key-encoding'), checks: checks() });
    if (!verifySeq.current(i)) return;
    verdict($('result'), v);
    // Below the key, so that nothing above the field being typed in moves.
    renderWarnings($('check-warnings'), v.warnings);
  }

  function renderDecrypted(d) {
    $('inner-box').hidden = true;
    renderWarnings($('check-warnings'), []);
    if (d.error) {
      showError($('result'), d.error);
      return;
    }
    if (!d.decrypted) {
      showResult($('result'), 'bad', '✗ Not decrypted', d.message, d.code);
      return;
    }
    showResult($('result'), 'ok', '✓ Decrypted', d.alg + ', ' + d.enc + (d.kid ? ', kid ' + d.kid : '') + ' · ' + d.bytes + ' bytes of plaintext');
    renderWarnings($('check-warnings'), d.warnings);
    $('payload').textContent = d.plaintext_kind === 'jwt' ? 'A signed JWT (shown below):\n' + d.plaintext : d.plaintext;
    renderClaims($('claims-box'), $('claims'), d.claims);
    if (d.plaintext_kind === 'jwt' && d.inner && !d.inner.error) {
      const inner = d.inner;
      $('inner-box').hidden = false;
      renderParts($('inner-parts'), inner.parts, '');
      $('inner-header').textContent = inner.header_text || '';
      $('inner-payload').textContent = inner.payload_text || '';
      renderWarnings($('inner-warnings'), inner.warnings);
      renderClaims($('claims-box'), $('claims'), inner.claims);
      if (d.inner_verification) verdict($('inner-result'), d.inner_verification);
      else showResult($('inner-result'), '', 'Inner token not verified: give its signing key above.');
    }
  }

  const decodeSoon = debounced(decode, 200);
  const checkSoon = debounced(check, 250);
  $('token').addEventListener('input', decodeSoon);
  for (const id of ['key', 'key-encoding', 'password', 'verify-key', 'iss', 'aud', 'leeway', 'require-exp']) {
    $(id).addEventListener('input', checkSoon);
    $(id).addEventListener('change', checkSoon);
  }

  // The decoded header and payload into the editor, with the key when it can sign (a secret).
  $('to-encode').addEventListener('click', () => {
    const r = inspected;
    if (!r || r.kind !== 'jws' || r.payload_kind !== 'json') return;
    $('enc-header').value = JSON.stringify(r.header, null, 2);
    $('enc-payload').value = JSON.stringify(r.payload, null, 2);
    if ([...$('enc-alg').options].some((o) => o.value === r.header.alg)) $('enc-alg').value = r.header.alg;
    if (String(r.header.alg || '').startsWith('HS') && $('key').value) {
      $('enc-key').value = $('key').value;
      $('enc-key-encoding').value = $('key-encoding').value;
      publicKey = { text: $('key').value, encoding: $('key-encoding').value };
      $('enc-public').textContent = 'The shared secret, as given in the decoder.';
      // Not typed here: another algorithm family replaces it with a new key, as generated ones.
      generatedFor = r.header.alg;
    }
    selectTab('encode');
    encode();
  });

  // ---- share links: the token in the fragment, never a key ---------------------------------

  $('share').addEventListener('click', async () => {
    const token = $('token').value.trim();
    if (!token) return;
    const link = location.origin + location.pathname + '#token=' + encodeURIComponent(token);
    $('share-link').value = link;
    $('share-link').select();
    try {
      await navigator.clipboard.writeText(link);
      $('share').textContent = 'Link copied';
      setTimeout(() => { $('share').textContent = 'Share link'; }, 1500);
    } catch (e) {
      // The link is selected in the field for a manual copy.
    }
  });

  function fromFragment() {
    const frag = new URLSearchParams(location.hash.slice(1));
    const token = frag.get('token');
    if (token) {
      selectTab('decode');
      $('token').value = token;
      decode();
    }
  }
  window.addEventListener('hashchange', fromFragment);

  // The access key from a pasted address, kept in this page's memory and address bar only.
  $('access-use').addEventListener('click', () => {
    try {
      const k = new URL($('access-url').value.trim()).searchParams.get('k');
      if (!k) return;
      access = k;
      history.replaceState(null, '', location.pathname + '?k=' + encodeURIComponent(k) + location.hash);
      $('access').hidden = true;
      $('access-url').value = '';
      decode();
      loadAlgorithms();
      loadExamples();
    } catch (e) {
      // Not a URL: leave the prompt as it is.
    }
  });

  // ---- encode ---------------------------------------------------------------------------------

  const encodeSeq = latest();
  let generatedFor = null; // the algorithm of the key the page put in (generated or copied)
  let publicKey = { text: '', encoding: 'auto' };

  function fillAlgs(select, algs, selected) {
    for (const a of algs) {
      const o = el('option', '', a);
      o.value = a;
      if (a === selected) o.selected = true;
      select.append(o);
    }
  }
  // The algorithms this build of Tessera supports (ML-DSA is a build option), from the API.
  async function loadAlgorithms() {
    const r = await api('algorithms', {});
    if (r.error) return;
    for (const [id, algs] of [['enc-alg', r.jws], ['key-alg', r.jws.concat(r.jwe)]]) {
      const keep = $(id).value;
      $(id).replaceChildren();
      fillAlgs($(id), algs, keep);
    }
  }

  const now = Math.floor(Date.now() / 1000);
  $('enc-header').value = JSON.stringify({ alg: 'HS256', typ: 'JWT' }, null, 2);
  $('enc-payload').value = JSON.stringify({
    sub: 'user-42', name: 'Ada Lovelace', iss: 'https://issuer.example', aud: 'https://api.example',
    iat: now, exp: now + 3600,
  }, null, 2);

  async function generateSigningKey() {
    const alg = $('enc-alg').value;
    const k = await api('keys', { alg });
    if (k.error) return showError($('enc-error'), k.error);
    generatedFor = alg;
    if (k.secret_base64url) {
      $('enc-key').value = k.secret_base64url;
      $('enc-key-encoding').value = 'base64url';
      publicKey = { text: k.secret_base64url, encoding: 'base64url' };
      $('enc-public').textContent = 'The shared secret (base64url):\n' + k.secret_base64url;
    } else {
      $('enc-key').value = k.jwk;
      $('enc-key-encoding').value = 'auto';
      publicKey = { text: k.public_pem, encoding: 'auto' };
      $('enc-public').textContent = k.public_pem + '\n' + k.public_jwk;
    }
    await encode();
  }

  async function encode() {
    const i = encodeSeq.next();
    if (!$('enc-key').value.trim()) {
      showResult($('enc-error'), '', 'Give a signing key, or generate one.');
      return;
    }
    const r = await api('encode', {
      header: $('enc-header').value,
      payload: $('enc-payload').value,
      key: keyInput('enc-key', 'enc-key-encoding'),
    });
    if (!encodeSeq.current(i)) return;
    if (r.error) {
      showError($('enc-error'), r.error);
      return;
    }
    const parts = r.token.split('.');
    renderParts($('enc-token'), [
      { name: 'header', text: parts[0] }, { name: 'payload', text: parts[1] }, { name: 'signature', text: parts[2] },
    ]);
    const notes = (r.warnings || []).map((w) => w.message).join(' ');
    showResult($('enc-error'), 'ok', '✓ Signed with ' + r.alg, notes);
  }

  $('enc-alg').addEventListener('change', () => {
    const alg = $('enc-alg').value;
    try {
      const h = JSON.parse($('enc-header').value);
      h.alg = alg;
      $('enc-header').value = JSON.stringify(h, null, 2);
    } catch (e) {
      // The header is being edited; the server reports what is wrong with it.
    }
    if (generatedFor !== null || !$('enc-key').value.trim()) generateSigningKey();
    else encode();
  });
  $('enc-generate').addEventListener('click', generateSigningKey);
  const encodeSoon = debounced(encode, 250);
  for (const id of ['enc-header', 'enc-payload', 'enc-key', 'enc-key-encoding']) {
    $(id).addEventListener('input', encodeSoon);
    $(id).addEventListener('change', encodeSoon);
  }
  $('enc-key').addEventListener('input', () => {
    generatedFor = null;
    publicKey = { text: $('enc-key').value, encoding: $('enc-key-encoding').value };
    $('enc-public').textContent = '';
  });
  $('enc-copy').addEventListener('click', async () => {
    try { await navigator.clipboard.writeText($('enc-token').textContent); } catch (e) { /* selected below */ }
  });
  $('enc-open').addEventListener('click', () => {
    const token = $('enc-token').textContent;
    if (!token) return;
    $('token').value = token;
    $('key').value = publicKey.text;
    $('key-encoding').value = publicKey.encoding;
    selectTab('decode');
    decode();
  });

  // ---- keys -----------------------------------------------------------------------------------

  $('key-generate').addEventListener('click', async () => {
    const k = await api('keys', { alg: $('key-alg').value });
    for (const id of ['key-jwk', 'key-public-jwk', 'key-pem', 'key-public-pem', 'key-thumbprint', 'key-thumbprint-uri']) {
      $(id).textContent = '';
    }
    if (k.error) return showError($('key-error'), k.error);
    showResult($('key-error'), 'ok', '✓ New ' + k.kty + ' key for ' + k.alg, k.kid ? 'kid ' + k.kid : '');
    $('key-jwk').textContent = k.jwk;
    $('key-public-jwk').textContent = k.public_jwk || 'A shared secret has no public part.';
    $('key-pem').textContent = k.pem || 'A shared secret has no PEM form; base64url: ' + (k.secret_base64url || '');
    $('key-public-pem').textContent = k.public_pem || '—';
    $('key-thumbprint').textContent = k.thumbprint;
    $('key-thumbprint-uri').textContent = k.thumbprint_uri;
  });

  // ---- examples -------------------------------------------------------------------------------

  let examples = [];
  async function loadExamples() {
    if (examples.length) return;
    const r = await api('examples', {});
    if (r.error) return;
    examples = r.examples;
    const select = $('examples');
    examples.forEach((x, i) => {
      const o = el('option', '', x.label);
      o.value = String(i);
      select.append(o);
    });
  }
  $('examples').addEventListener('change', () => {
    const x = examples[Number($('examples').value)];
    $('examples').value = '';
    if (!x) return;
    selectTab('decode');
    $('token').value = x.token;
    $('key').value = x.key.text;
    $('key-encoding').value = x.key.encoding || 'auto';
    $('password').value = '';
    $('verify-key').value = x.verify_key ? x.verify_key.text : '';
    decode();
  });

  // ---- tabs, theme, keyboard ------------------------------------------------------------------

  const TABS = ['decode', 'encode', 'keys'];
  function selectTab(name) {
    for (const t of TABS) {
      const on = t === name;
      $('tab-' + t).setAttribute('aria-selected', String(on));
      $('tab-' + t).tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
    }
    if (name === 'encode' && !$('enc-key').value.trim()) generateSigningKey();
  }
  TABS.forEach((t, i) => {
    const tab = $('tab-' + t);
    tab.addEventListener('click', () => selectTab(t));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = TABS[(i + step + TABS.length) % TABS.length];
      selectTab(next);
      $('tab-' + next).focus();
      e.preventDefault();
    });
  });

  $('theme').addEventListener('click', () => {
    const root = document.documentElement;
    const dark = root.dataset.theme ? root.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    root.dataset.theme = dark ? 'light' : 'dark';
  });

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (!$('panel-encode').hidden) encode();
      else if (!$('panel-keys').hidden) $('key-generate').click();
      else decode();
    }
  });

  loadAlgorithms();
  loadExamples();
  fromFragment();
})();
