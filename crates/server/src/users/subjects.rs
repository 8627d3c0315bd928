//! Subject identifiers as clients see them (OpenID Connect Core §8): `public`, the person's own
//! stable random id, the same for every client; or `pairwise`, one per sector (the host of a
//! client's redirect URIs, or the sector it was registered with), random and recorded, so
//! clients of different sectors cannot tell that they know the same person.

use tessera_store::{Client, Store, StoreError};

/// The sector of a pairwise client: its registered sector identifier, else the one host of its
/// redirect URIs; `None` for a public-subject client.
#[must_use]
pub fn sector(client: &Client) -> Option<String> {
    if !client.pairwise {
        return None;
    }
    client
        .sector_identifier
        .clone()
        .or_else(|| redirect_host(client))
}

/// The one host of a client's redirect URIs (`None` when they have several, or a URI has
/// none, as a private-use scheme's).
#[must_use]
pub fn redirect_host(client: &Client) -> Option<String> {
    let mut hosts = client.redirect_uris.iter().map(|u| host_of(u));
    let first = hosts.next()??;
    hosts
        .all(|h| h.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The host of an absolute URI with an authority (`https://host:port/...`), lowercased.
#[must_use]
pub fn host_of(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        host_port.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The subject identifier `client` knows the person `user_id` by: recorded at the first token
/// of a pairwise sector.
///
/// # Errors
/// When the store cannot say, or no random bytes could be had.
pub async fn subject_for(
    store: &dyn Store,
    client: &Client,
    user_id: &str,
    now: i64,
) -> Result<String, StoreError> {
    let Some(sector) = sector(client) else {
        return Ok(user_id.to_owned());
    };
    let candidate = tessera_jose::secret::random(32)
        .map(tessera_jose::b64::encode)
        .map_err(|_| StoreError::Corrupt("no random bytes for a pairwise subject"))?;
    store
        .pairwise_subject(&sector, user_id, &candidate, now)
        .await
}

/// The person behind a subject identifier that `client` knows (`None`: nobody).
///
/// # Errors
/// When the store cannot say.
pub async fn user_of(
    store: &dyn Store,
    client: &Client,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    match sector(client) {
        None => Ok(Some(subject.to_owned())),
        Some(sector) => store.pairwise_user(&sector, subject).await,
    }
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn hosts_of_redirect_uris() {
        assert_eq!(
            host_of("https://App.example/cb").as_deref(),
            Some("app.example")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/cb?x=1").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host_of("http://[::1]:9/cb").as_deref(), Some("[::1]"));
        assert_eq!(
            host_of("https://u@h.example:1").as_deref(),
            Some("h.example")
        );
        assert_eq!(host_of("com.example.app:/cb"), None);
        assert_eq!(host_of("https:///cb"), None);
    }
}
