//! [`EventStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, batch};
use crate::{Event, EventStore, StoreError};

/// Events per `INSERT` (4 parameters each: far under either database's limit).
const EVENTS_PER_STATEMENT: usize = 256;

fn event(r: &Row) -> Result<Event, StoreError> {
    let detail: String = r.get("detail")?;
    Ok(Event {
        at: r.get("at")?,
        kind: r.get("kind")?,
        client_id: r.get("client_id")?,
        detail: serde_json::from_str(&detail).map_err(|_| StoreError::Corrupt("event detail"))?,
    })
}

#[async_trait]
impl EventStore for SqlStore {
    async fn record(&self, e: &Event) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO events (at, kind, client_id, detail) VALUES ($1, $2, $3, $4)",
            &[
                Arg::from(e.at),
                Arg::from(&e.kind),
                Arg::from(e.client_id.as_deref()),
                Arg::Text(e.detail.to_string().into()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn record_all(&self, events: &[Event]) -> Result<(), StoreError> {
        // One multi-row statement per chunk: a statement per event would hold the write lock
        // (which token issuance shares) for as many round trips to the database. Committed
        // without waiting for the disk, as the service's events are recorded after its answers
        // anyway (see `batch::run_relaxed`): a power failure can lose the last moment's events;
        // a sync for each burst would cost every sign-in a disk sync.
        let details: Vec<String> = events.iter().map(|e| e.detail.to_string()).collect();
        let statements: Vec<batch::Statement<'_>> = events
            .chunks(EVENTS_PER_STATEMENT)
            .zip(details.chunks(EVENTS_PER_STATEMENT))
            .map(|(chunk, details)| {
                let mut text =
                    String::from("INSERT INTO events (at, kind, client_id, detail) VALUES ");
                let mut args = Vec::with_capacity(chunk.len() * 4);
                for (i, (e, detail)) in chunk.iter().zip(details).enumerate() {
                    let n = i * 4;
                    if i > 0 {
                        text.push_str(", ");
                    }
                    text.push_str(&format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4));
                    args.extend([
                        Arg::from(e.at),
                        Arg::from(&e.kind),
                        Arg::from(e.client_id.as_deref()),
                        Arg::from(detail),
                    ]);
                }
                (text.into(), args)
            })
            .collect();
        if statements.is_empty() {
            return Ok(());
        }
        let pool = self.relaxed_batch.relaxed_pool(&self.pool);
        batch::write_relaxed(&pool, &statements).await
    }

    async fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        self.fetch_all(
            "SELECT at, kind, client_id, detail FROM events WHERE at >= $1 ORDER BY id LIMIT $2",
            &[Arg::from(since), Arg::from(limit)],
        )
        .await?
        .iter()
        .map(event)
        .collect()
    }
}
