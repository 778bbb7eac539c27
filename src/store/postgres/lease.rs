//! The writer's lease: a session advisory lock held on the writer's connection, so that
//! one node at a time writes to a database. A node that opens the store while another
//! holds the lease waits for it (a standby); when the writer dies its session ends, the
//! database releases the lock, and the waiting node takes it, reads the head the dead
//! writer left and writes on. The chain's constraints (`schema.rs`) still refuse any
//! group that does not continue the stored log, lease or not.

use std::sync::Arc;

use tokio_postgres::Client;

use super::bridge::{self, block};
use crate::store::StoreError;

/// Key of the writer's advisory lock ("mlwriter" in ASCII); the migration lock is another.
const WRITER_LEASE: i64 = 0x6d6c_7772_6974_6572;

/// What opening does when another node holds the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaseWait {
    /// Wait until the other node's session ends, then take over (`serve`).
    Wait,
    /// Fail at once, naming the holder (`migrate`, which must not run beside a writer).
    Refuse,
}

/// Takes the writer's lease on `client`'s session, waiting or refusing as `wait` says.
pub(crate) fn acquire(client: &Arc<Client>, wait: LeaseWait) -> Result<(), StoreError> {
    let trying = Arc::clone(client);
    let taken: bool = block(async move {
        let row = trying
            .query_one("SELECT pg_try_advisory_lock($1)", &[&WRITER_LEASE])
            .await?;
        Ok::<_, tokio_postgres::Error>(row.get(0))
    })?
    .map_err(bridge::error)?;
    if taken {
        return Ok(());
    }
    let holder = holder(client).unwrap_or_else(|_| "another session".into());
    if wait == LeaseWait::Refuse {
        return Err(StoreError::Refused(format!(
            "another matchledger node writes to this database ({holder}); stop it first"
        )));
    }
    tracing::warn!(%holder, "another node holds the writer lease; waiting to take over");
    let waiting = Arc::clone(client);
    block(async move {
        waiting
            .execute("SELECT pg_advisory_lock($1)", &[&WRITER_LEASE])
            .await
    })?
    .map_err(bridge::error)?;
    tracing::info!("writer lease taken");
    Ok(())
}

/// Who holds the lease: the client address and application name of its session.
fn holder(client: &Arc<Client>) -> Result<String, StoreError> {
    let client = Arc::clone(client);
    let row = block(async move {
        client
            .query_opt(
                "SELECT coalesce(host(a.client_addr), 'local'), a.application_name, a.pid \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted \
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
                &[&WRITER_LEASE],
            )
            .await
    })?
    .map_err(bridge::error)?;
    Ok(match row {
        Some(row) => format!(
            "{} from {}, server process {}",
            row.get::<_, String>(1),
            row.get::<_, String>(0),
            row.get::<_, i32>(2)
        ),
        None => "a session that just ended".into(),
    })
}
