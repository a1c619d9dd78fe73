//! The escalation engine: "every request gets an answer" (有求必应).
//!
//! Each open case has one pending step of its answer deadline's ladder in
//! `due_work`, written in the same transaction as the change that creates
//! it (the submission, an approved extension, the previous step). The
//! default ladder:
//!
//! | level | when | what |
//! |---|---|---|
//! | 0 reminder | `reminder_share` of the allowed time has passed | the handling department is reminded |
//! | 1 overdue (超期) | the deadline | the case is marked overdue, counted, the department told |
//! | 2 supervision (督办) | one working day after the deadline | the supervisors are told |
//! | 3 city administrator | three working days after the deadline | the city administrators are told |
//!
//! Answering, rejecting or closing the case cancels its pending step; an
//! extension moves it. Workers claim due steps with a lease and apply each
//! in the city's transaction: the step is marked done only if it is still
//! the worker's, and the escalation row is unique per (case, deadline,
//! deadline time, level), so its effects (timeline entry, counters,
//! notifications, the next step) happen exactly once however many workers
//! see the row or restart.
//!
//! The parts: `ladder` (the steps, scheduling them and what each does),
//! `worker` (claiming due steps and applying them, the worker loop) and
//! `mail` (the messages steps queue, and what they mention).

mod ladder;
mod mail;
mod worker;

pub use ladder::{ANSWER, Level, cancel, first_step, reschedule};
pub use mail::{Facts, case_link, email, local_time};
pub use worker::{Pass, Worker, run_due, work};
