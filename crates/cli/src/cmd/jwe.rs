//! `tessera jwe encrypt|decrypt`: raw JWE of any plaintext and serialization.

use anyhow::anyhow;
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::jws::{Format, Header};
use tessera_jose::{Enc, JweAlg, Jwk};

use crate::args::{FormatArg, JweCommand, JweDecryptArgs, JweEncryptArgs};
use crate::exit::{CmdResult, Failure, input as input_err, rejected};
use crate::input;
use crate::output;

pub fn run(c: &JweCommand) -> CmdResult {
    match c {
        JweCommand::Encrypt(a) => encrypt(a),
        JweCommand::Decrypt(a) => decrypt(a),
    }
}

fn encrypt(a: &JweEncryptArgs) -> CmdResult {
    let alg = JweAlg::from_name(&a.alg).map_err(input_err("--alg"))?;
    let enc = Enc::from_name(&a.enc).map_err(input_err("--enc"))?;
    let plaintext = input::value(a.plaintext.as_deref())?;
    let password = input::password(&a.password)?;
    if a.key.is_some() && password.is_some() {
        return Err(anyhow!("give either --key or a password, not both").into());
    }
    let encrypter = match (&a.key, &password, alg.mode()) {
        (_, Some(pw), KeyManagement::Pbes2) => {
            Encrypter::password(pw, alg).map_err(input_err("--password"))?
        }
        (_, Some(_), _) => return Err(anyhow!("--password needs a PBES2 algorithm").into()),
        (Some(path), None, mode) => {
            let key = input::one_key(path)?;
            // A private key encrypts with its public part.
            let key = if matches!(
                mode,
                KeyManagement::RsaOaep
                    | KeyManagement::RsaPkcs1
                    | KeyManagement::EcdhEs
                    | KeyManagement::EcdhEsKw
            ) {
                key.to_public()
                    .map_err(input_err("cannot take the public part"))?
            } else {
                key
            };
            if mode == KeyManagement::RsaPkcs1 {
                output::warn("RSA1_5 is a legacy algorithm; prefer RSA-OAEP-256");
                Encrypter::rsa1_5(&key)
            } else {
                Encrypter::new(&key, alg)
            }
            .map_err(input_err("the key cannot encrypt"))?
        }
        (None, None, _) => return Err(anyhow!("a key is needed: --key SRC or --password").into()),
    };
    let mut b = JweBuilder::new(&plaintext, enc).recipient(&encrypter);
    if let Some(cty) = &a.cty {
        b = b.protected(Header::empty().cty(cty));
    }
    if a.zip {
        b = b.deflate();
    }
    let format = match a.format {
        FormatArg::Compact => Format::Compact,
        FormatArg::Flattened => Format::Flattened,
        FormatArg::General => Format::General,
    };
    let out = b.serialize(format).map_err(input_err("cannot encrypt"))?;
    output::line(&out)
}

fn decrypt(a: &JweDecryptArgs) -> CmdResult {
    let jwe = input::token(a.jwe.as_deref())?;
    let (jws, mut algs) = super::split_algs(&a.allow_algs)?;
    if !jws.is_empty() {
        return Err(anyhow!("JWS algorithms do not decrypt a JWE").into());
    }
    let (keys, password) = match (&a.key, input::password(&a.password)?) {
        (Some(_), Some(_)) => {
            return Err(anyhow!("give either --key or a password, not both").into());
        }
        (Some(path), None) => (input::keys_from(path)?, false),
        (None, Some(pw)) => (Jwk::from_secret(&pw).into(), true),
        (None, None) => return Err(anyhow!("a key is needed: --key SRC or --password").into()),
    };
    if password && algs.is_empty() {
        algs = JweAlg::ALL
            .into_iter()
            .filter(|a| a.mode() == KeyManagement::Pbes2)
            .collect();
    }
    let mut b = Decrypter::builder(keys);
    if password {
        b = b.allow_pbes2();
    }
    if algs.contains(&JweAlg::Rsa1_5) {
        output::warn(
            "RSA1_5 allowed: dangerous. Failures are uniform, but the backend's PKCS#1 v1.5 \
             unpadding is not constant-time (a Bleichenbacher/Marvin timing oracle): never \
             decrypt RSA1_5 where an attacker can submit tokens and time the answers",
        );
        b = b.dangerous_allow_rsa1_5();
    }
    if algs.iter().any(|a| a.mode() == KeyManagement::Pbes2) {
        b = b.allow_pbes2();
    }
    let decrypter = if algs.is_empty() {
        b.algorithms_from_keys().build()
    } else {
        b.algorithms(algs).build()
    }
    .map_err(|e| Failure::Input(anyhow!("cannot build the decrypter: {e}")))?;
    let out = decrypter.decrypt(&jwe).map_err(rejected)?;
    output::out(out.plaintext())
}
