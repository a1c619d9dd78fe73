//! Cases, their co-handlers, timeline, idempotency keys and statistics.
//! Every function takes the tenant and filters by it.

mod filter;
mod read;
mod stats;
mod write;

pub use filter::{
    DepartmentLoad, Filter, OPEN_STATES, PUBLISHED_ANSWERS, QueueOrder, QueueRow, count_capped,
    count_each, list, open_by_department, page, queue,
};
pub use read::{
    RecentCase, all, by_code, by_codes, by_id, co_departments, co_handler, co_handlers, events,
    idempotency, public_events, recent_by_title, recent_with_title, submitted_since,
};
pub use stats::{STAT_SHARDS, StatDelta, StatScope, StatTotals, add_stats, stat_totals};
pub use write::{
    add_view, expire_idempotency, insert, insert_batch, insert_co_departments, insert_event,
    insert_idempotency, lock, raise_co_level, set_co_departments, set_opinion, update_by_id,
    update_by_ids, update_fenced,
};
