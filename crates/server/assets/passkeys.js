// Passkeys for Tessera's pages: the one script they load. The server puts the WebAuthn options
// (JSON, binary members base64url) in a form's data-options; this calls the browser, puts the
// credential's JSON in the form's `response` field and submits the form. Everything else on
// the pages works without it; the passkey forms stay hidden where WebAuthn is missing.
(function () {
  "use strict";

  function toBytes(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64u(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return o;
  }

  // The credential as WebAuthn Level 3's toJSON() gives it (built by hand where the browser
  // has no toJSON).
  function credentialJson(c) {
    if (typeof c.toJSON === "function") {
      try { return JSON.stringify(c.toJSON()); } catch (e) { /* by hand below */ }
    }
    var r = c.response;
    var resp = { clientDataJSON: toB64u(r.clientDataJSON) };
    if (r.attestationObject) {
      resp.attestationObject = toB64u(r.attestationObject);
      resp.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    }
    if (r.authenticatorData) {
      resp.authenticatorData = toB64u(r.authenticatorData);
      resp.signature = toB64u(r.signature);
      if (r.userHandle) resp.userHandle = toB64u(r.userHandle);
    }
    return JSON.stringify({ id: c.id, rawId: toB64u(c.rawId), type: c.type, response: resp,
      clientExtensionResults: {} });
  }

  function say(form, text) {
    var p = form.querySelector("#passkey-error");
    if (!p) return;
    p.textContent = text;
    p.hidden = !text;
  }

  function failure(e) {
    if (e && e.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
    if (e && e.name === "InvalidStateError") return "This passkey is registered already.";
    return "Your browser could not use a passkey here.";
  }

  function send(form, credential) {
    form.querySelector("#passkey-response").value = credentialJson(credential);
    form.submit();
  }

  if (!window.PublicKeyCredential || !navigator.credentials) return;

  var register = document.getElementById("passkey-register");
  if (register) {
    register.hidden = false;
    register.addEventListener("submit", function (ev) {
      ev.preventDefault();
      say(register, "");
      var options = creationOptions(JSON.parse(register.dataset.options));
      navigator.credentials.create({ publicKey: options })
        .then(function (c) { send(register, c); })
        .catch(function (e) { say(register, failure(e)); });
    });
  }

  var use = document.getElementById("passkey-form");
  if (use) {
    use.hidden = false;
    var pending = null;
    // Signing in without a username: the browser offers passkeys in the username field's
    // autofill (conditional mediation) while the page is open.
    if (use.dataset.conditional === "1" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) return;
        pending = new AbortController();
        navigator.credentials.get({ mediation: "conditional", signal: pending.signal,
          publicKey: requestOptions(JSON.parse(use.dataset.options)) })
          .then(function (c) { if (c) send(use, c); })
          .catch(function () { /* aborted, or dismissed: the button still works */ });
      });
    }
    use.addEventListener("submit", function (ev) {
      ev.preventDefault();
      say(use, "");
      if (pending) { pending.abort(); pending = null; }
      navigator.credentials.get({ publicKey: requestOptions(JSON.parse(use.dataset.options)) })
        .then(function (c) { send(use, c); })
        .catch(function (e) { say(use, failure(e)); });
    });
  }
})();
