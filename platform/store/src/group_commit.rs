//! Group commit: many small writes share one durable commit.
//!
//! A durable commit costs a disk flush (SQLite `synchronous=FULL`, PostgreSQL
//! `synchronous_commit=on`). When many clients write at once, each waiting
//! for its own flush queues them behind each other. Here a few writer tasks
//! take whatever jobs are waiting, run each in its own savepoint inside one
//! transaction per city, and commit once; every job's caller is answered only
//! after that commit returns, so nothing a client is told is saved can be
//! lost. A job that fails rolls back its own savepoint and nobody else's.

use crate::connect::{Scope, Store};
use sea_orm::{DatabaseTransaction, DbErr, TransactionTrait};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// What a batch's jobs add up to (rows to insert together, counters every
/// job bumps), written once per batch by [`Job::settle`].
pub trait Tally: Default + Send {}

/// One write to run inside a shared transaction.
pub trait Job: Send + 'static {
    type Output: Send + 'static;
    type Error: Send + 'static;
    type Tally: Tally;

    /// Which city's rows the job touches; jobs of one scope share a
    /// transaction.
    fn scope(&self) -> Scope;

    /// Do the job's reads and writes, adding what can be written together
    /// to `tally`. Called again (at most [`ATTEMPTS`] times in all) after an
    /// error for which [`Job::retry`] says yes, on a fresh savepoint.
    fn run(
        &mut self,
        tx: &DatabaseTransaction,
        tally: &mut Self::Tally,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// Write a tally, in the same transaction, just before it commits.
    /// Writers run their batches at the same time: shared counters should
    /// go to a shard picked from `writer`, so two writers' transactions
    /// never wait for each other's rows (and cannot deadlock).
    fn settle(
        tx: &DatabaseTransaction,
        scope: Scope,
        writer: usize,
        tally: Self::Tally,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Whether an error is worth another attempt (a random code that
    /// collided, say).
    fn retry(error: &Self::Error) -> bool;

    /// The error a caller gets when the database itself failed.
    fn database(error: DbErr) -> Self::Error;
}

/// How many times a job is tried before its error is returned.
pub const ATTEMPTS: u32 = 3;

/// A job, where its answer goes, and the span of whoever submitted it (the
/// commit is traced as part of the first submitter's trace, linked from
/// the others).
type Pending<J> = (
    J,
    oneshot::Sender<Result<<J as Job>::Output, <J as Job>::Error>>,
    tracing::Span,
);

/// The queue in front of the writer tasks.
pub struct GroupCommit<J: Job> {
    queue: mpsc::Sender<Pending<J>>,
}

impl<J: Job> Clone for GroupCommit<J> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<J: Job> GroupCommit<J> {
    /// Start `writers` writer tasks, each committing up to `max_batch` jobs
    /// at a time. They stop when the last handle is dropped.
    pub fn start(store: Store, writers: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::channel::<Pending<J>>(max_batch * writers.max(1) * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        for writer in 0..writers.max(1) {
            let store = store.clone();
            let receiver = Arc::clone(&receiver);
            tokio::spawn(async move {
                loop {
                    let batch = {
                        let mut receiver = receiver.lock().await;
                        let Some(first) = receiver.recv().await else {
                            return;
                        };
                        let mut batch = vec![first];
                        while batch.len() < max_batch {
                            match receiver.try_recv() {
                                Ok(next) => batch.push(next),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    write(&store, writer, batch).await;
                }
            });
        }
        Self { queue }
    }

    /// Run `job` and wait until its writes are durable (or it failed).
    pub async fn submit(&self, job: J) -> Result<J::Output, J::Error> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((job, reply, tracing::Span::current()))
            .await
            .map_err(|_| J::database(DbErr::Custom("the writer has stopped".into())))?;
        answer
            .await
            .map_err(|_| J::database(DbErr::Custom("the writer stopped mid-batch".into())))?
    }
}

/// Write one batch: a transaction per scope.
async fn write<J: Job>(store: &Store, writer: usize, mut batch: Vec<Pending<J>>) {
    while !batch.is_empty() {
        let scope = batch[0].0.scope();
        let (group, rest): (Vec<_>, Vec<_>) = batch.into_iter().partition(|p| p.0.scope() == scope);
        batch = rest;
        write_group(store, writer, scope, group).await;
    }
}

async fn write_group<J: Job>(store: &Store, writer: usize, scope: Scope, group: Vec<Pending<J>>) {
    let span = tracing::info_span!(
        parent: &group[0].2,
        "group_commit",
        commit.jobs = group.len(),
        commit.writer = writer,
    );
    for (_, _, other) in &group[1..] {
        span.follows_from(other);
    }
    tracing::Instrument::instrument(commit_group(store, writer, scope, group), span).await;
}

async fn commit_group<J: Job>(
    store: &Store,
    writer: usize,
    scope: Scope,
    mut group: Vec<Pending<J>>,
) {
    // Usually every job succeeds: run them straight in the transaction and
    // settle their tally together. If anything fails, start again with a
    // savepoint around each job and its own tally, so a failure undoes only
    // its own writes.
    let outcome = match together(store, writer, scope, &mut group).await {
        Ok(outputs) => Ok(outputs),
        Err(_) => one_by_one(store, writer, scope, &mut group).await,
    };
    match outcome {
        Ok(outputs) => {
            for ((_, reply, _), output) in group.into_iter().zip(outputs) {
                let _ = reply.send(output);
            }
        }
        Err(e) => {
            let message = e.to_string();
            for (_, reply, _) in group {
                let _ = reply.send(Err(J::database(DbErr::Custom(message.clone()))));
            }
        }
    }
}

type Outputs<J> = Vec<Result<<J as Job>::Output, <J as Job>::Error>>;

/// Every job and one settle in one transaction; any failure fails it all.
async fn together<J: Job>(
    store: &Store,
    writer: usize,
    scope: Scope,
    group: &mut [Pending<J>],
) -> Result<Outputs<J>, DbErr> {
    let failed = || DbErr::Custom("a job failed; retrying job by job".into());
    let tx = store.begin(scope).await?;
    let mut outputs = Vec::with_capacity(group.len());
    let mut tally = J::Tally::default();
    for (job, _, _) in group.iter_mut() {
        match job.run(&tx, &mut tally).await {
            Ok(output) => outputs.push(Ok(output)),
            Err(_) => {
                tx.rollback().await?;
                return Err(failed());
            }
        }
    }
    if J::settle(&tx, scope, writer, tally).await.is_err() {
        tx.rollback().await?;
        return Err(failed());
    }
    tx.commit().await?;
    Ok(outputs)
}

/// Each job in its own savepoint with its own settle; a job's failure is
/// its own result. Err means the transaction itself failed.
async fn one_by_one<J: Job>(
    store: &Store,
    writer: usize,
    scope: Scope,
    group: &mut [Pending<J>],
) -> Result<Outputs<J>, DbErr> {
    let tx = store.begin(scope).await?;
    let mut outputs = Vec::with_capacity(group.len());
    for (job, _, _) in group.iter_mut() {
        outputs.push(run_one(&tx, scope, writer, job).await);
    }
    tx.commit().await?;
    Ok(outputs)
}

async fn run_one<J: Job>(
    tx: &DatabaseTransaction,
    scope: Scope,
    writer: usize,
    job: &mut J,
) -> Result<J::Output, J::Error> {
    let mut attempt = 0;
    loop {
        let savepoint = tx.begin().await.map_err(J::database)?;
        let mut tally = J::Tally::default();
        let result = match job.run(&savepoint, &mut tally).await {
            Ok(output) => J::settle(&savepoint, scope, writer, tally)
                .await
                .map(|()| output),
            Err(e) => Err(e),
        };
        match result {
            Ok(output) => {
                savepoint.commit().await.map_err(J::database)?;
                return Ok(output);
            }
            Err(e) => {
                savepoint.rollback().await.map_err(J::database)?;
                attempt += 1;
                if attempt >= ATTEMPTS || !J::retry(&e) {
                    return Err(e);
                }
            }
        }
    }
}
