//! The escalation engine: "every request gets an answer" (有求必应).
//!
//! A case has a ladder of steps for each of its deadlines, named in
//! `due_work.deadline`; each open ladder has one pending step in
//! `due_work`, written in the same transaction as the change that creates
//! it (the submission, an assignment, an answer, the previous step):
//!
//! | ladder | deadline | steps (level) |
//! |---|---|---|
//! | `answer` | `cases.answer_deadline` | 0 reminder, 1 overdue (超期), 2 supervision (督办), 3 city administrator |
//! | `accept` | `cases.accept_deadline` | 0 reminder, 1 overdue |
//! | `opinion:<department>` | `case_departments.deadline` | 0 reminder, 1 overdue, 2 supervision |
//! | `close` | the city's `close_unrated_after_days` after the answer | 0 the case closes (自动办结) |
//!
//! The reminder comes when `reminder_share` of the allowed time has
//! passed, overdue at the deadline, supervision one and the city
//! administrator three working days after it. Answering, rejecting or
//! closing a case ends all its ladders; accepting ends `accept`; an
//! opinion, or the department no longer co-handling, ends its `opinion`
//! ladder (a transfer or return ends them all); a rating ends `close`; an
//! extension or a reopen starts `answer` again for the new deadline.
//!
//! Workers claim due steps with a lease and apply each in the city's
//! transaction: the step is marked done only if it is still the worker's,
//! and the escalation row is unique per (case, deadline, deadline time,
//! level), so its effects (timeline entry, levels, counters,
//! notifications, the next step) happen exactly once however many workers
//! see the row or restart. Only the answer ladder calls the city's
//! escalation rules.
//!
//! The parts: `ladder` (the ladders and their steps, starting and ending
//! them), `steps` (what each step does), `worker` (claiming due steps and
//! applying them, the worker loop) and `mail` (the messages steps queue,
//! and what they mention).

mod ladder;
mod mail;
mod steps;
mod worker;

pub use ladder::{
    ACCEPT, ANSWER, CLOSE, Ladder, Ladders, Level, OPINION, Scheduler, cancel, first_step,
};
pub use mail::{Facts, case_link, email, local_time};
pub use worker::{Pass, Worker, run_due, work};
