//! Awaiting a spawned task's output.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::task::TaskHandle;
use super::TaskId;

/// Resolves to a spawned task's output.
///
/// Dropping the handle detaches the task (it keeps running), as in tokio;
/// cancelling is the executor's job ([`super::Executor::cancel`]).
pub struct JoinHandle<T> {
    task: Option<TaskHandle<T>>,
    id: TaskId,
    /// The output may be `!Send`, so the handle must stay on its thread.
    _not_send: PhantomData<Rc<()>>,
}

impl<T> JoinHandle<T> {
    pub(super) fn new(task: TaskHandle<T>, id: TaskId) -> Self {
        Self {
            task: Some(task),
            id,
            _not_send: PhantomData,
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Whether the task has completed.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.task.as_mut() {
            Some(task) => task.poll_output(cx),
            // Only while the handle is being dropped.
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // Detaches: the task runs on (see `TaskHandle`'s drop).
        drop(self.task.take());
    }
}
