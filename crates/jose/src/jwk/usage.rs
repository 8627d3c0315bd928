//! What a key may be used for: its public part, the algorithms it allows, whether its metadata
//! permits an operation, and the raw material handed to the crypto layer.

use super::{Jwk, Params};
use crate::alg::{Curve, Family, JwsAlg};
use crate::crypto::Material;
use crate::error::{Error, KeyProblem};

impl Jwk {
    /// The public part of this key, with the same metadata (`key_ops` mapped to the public
    /// operations: `sign` to `verify`, ...).
    ///
    /// # Errors
    /// [`KeyProblem::NoPublicPart`] for an `oct` key: a shared secret has no public part, and
    /// publishing "its public part" would publish the secret.
    pub fn to_public(&self) -> Result<Self, Error> {
        if matches!(self.params, Params::Oct { .. }) {
            return Err(KeyProblem::NoPublicPart.into());
        }
        let params = self.params.public();
        let mut public = self.clone();
        public.params = params;
        // Private operations become their public counterparts (RFC 7517 §4.3): a key that may
        // sign yields a public key that may verify.
        if let Some(ops) = &mut public.key_ops {
            let mut public_ops: Vec<String> = Vec::with_capacity(ops.len());
            for op in ops.iter() {
                let mapped = match op.as_str() {
                    "sign" => "verify",
                    "decrypt" => "encrypt",
                    "unwrapKey" => "wrapKey",
                    other => other,
                };
                if !public_ops.iter().any(|o| o == mapped) {
                    public_ops.push(mapped.to_owned());
                }
            }
            *ops = public_ops;
        }
        Ok(public)
    }
}

impl Params {
    /// The parameters without private material (an `oct` key has only private material: it
    /// becomes an empty secret, never a copy of its own).
    pub(crate) fn public(&self) -> Self {
        match self {
            Params::Rsa { n, e, .. } => Params::Rsa {
                n: n.clone(),
                e: e.clone(),
                private: None,
            },
            Params::Ec { crv, x, y, .. } => Params::Ec {
                crv: *crv,
                x: x.clone(),
                y: y.clone(),
                d: None,
            },
            Params::Okp { crv, x, .. } => Params::Okp {
                crv: *crv,
                x: x.clone(),
                d: None,
            },
            Params::Oct { .. } => Params::Oct {
                k: zeroize::Zeroizing::new(Vec::new()),
            },
            Params::Akp { alg, public, .. } => Params::Akp {
                alg: *alg,
                public: public.clone(),
                seed: None,
            },
        }
    }
}

impl Jwk {
    /// The algorithms this key may be used with for JWS: its `alg` if that names a JWS
    /// algorithm, nothing if it names another one, else every algorithm of its type and curve.
    #[must_use]
    pub fn allowed_algorithms(&self) -> Vec<JwsAlg> {
        match &self.alg {
            Some(name) => JwsAlg::from_name(name)
                .ok()
                .filter(|a| a.is_supported())
                .into_iter()
                .collect(),
            None => {
                let mut algs: Vec<JwsAlg> = JwsAlg::for_key(self.kty(), self.curve()).collect();
                if let Params::Oct { k } = &self.params {
                    algs.retain(|a| k.len() >= a.info().hash_len);
                }
                algs
            }
        }
    }

    /// Whether this key's metadata lets it be used for `op` (`"sign"`, `"verify"`, ...) with
    /// `alg`: `alg` must match if present, `use` must be `sig`, `key_ops` must list `op`.
    #[must_use]
    pub fn permits(&self, op: &str, alg: JwsAlg) -> bool {
        let alg_ok = self.alg.as_deref().is_none_or(|a| a == alg.name());
        let use_ok = self.key_use.as_deref().is_none_or(|u| u == "sig");
        let ops_ok = self
            .key_ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|o| o == op));
        alg_ok && use_ok && ops_ok && check_fits(&self.params, alg).is_ok()
    }

    pub(crate) fn params(&self) -> &Params {
        &self.params
    }

    /// The raw material for the crypto layer.
    pub(crate) fn material(&self) -> Material<'_> {
        self.params.material()
    }
}

/// Checks that a key's type and curve fit an algorithm (not its metadata).
pub(crate) fn check_fits(params: &Params, alg: JwsAlg) -> Result<(), Error> {
    let info = alg.info();
    let ok = match (info.family, params) {
        (Family::Hmac, Params::Oct { k }) => {
            if k.len() < info.hash_len {
                return Err(KeyProblem::HmacTooShort.into());
            }
            true
        }
        (Family::RsaPkcs1 | Family::RsaPss, Params::Rsa { .. }) => true,
        (Family::Ecdsa, Params::Ec { crv, .. }) => {
            if info.curve != Some(*crv) {
                return Err(KeyProblem::WrongCurve.into());
            }
            true
        }
        (Family::EdDsa, Params::Okp { crv, .. }) => match (alg, crv) {
            (_, Curve::Ed25519) | (JwsAlg::EdDSA, Curve::Ed448) => true,
            _ => return Err(KeyProblem::WrongCurve.into()),
        },
        (Family::MlDsa, Params::Akp { alg: key_alg, .. }) => {
            if *key_alg != alg {
                return Err(KeyProblem::AlgMismatch.into());
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(KeyProblem::WrongKeyType.into())
    }
}

impl Params {
    /// Whether the material includes the private (or secret) part.
    pub(crate) fn is_private(&self) -> bool {
        match self {
            Self::Rsa { private, .. } => private.is_some(),
            Self::Ec { d, .. } | Self::Okp { d, .. } => d.is_some(),
            Self::Oct { .. } => true,
            Self::Akp { seed, .. } => seed.is_some(),
        }
    }

    /// The raw material for the crypto layer.
    pub(crate) fn material(&self) -> Material<'_> {
        match self {
            Params::Rsa { n, e, private } => match private {
                Some(p) => Material::RsaPrivate {
                    n,
                    e,
                    d: &p.d,
                    p: &p.p,
                    q: &p.q,
                    dp: &p.dp,
                    dq: &p.dq,
                    qi: &p.qi,
                },
                None => Material::RsaPublic { n, e },
            },
            Params::Ec { crv, x, y, d } => match d {
                Some(d) => Material::EcPrivate { crv: *crv, x, y, d },
                None => Material::EcPublic { crv: *crv, x, y },
            },
            Params::Okp { crv, x, d } => match d {
                Some(d) => Material::OkpPrivate { crv: *crv, x, d },
                None => Material::OkpPublic { crv: *crv, x },
            },
            Params::Oct { k } => Material::Oct(k),
            Params::Akp { public, seed, .. } => match seed {
                Some(seed) => Material::AkpPrivate { public, seed },
                None => Material::AkpPublic { public },
            },
        }
    }
}
