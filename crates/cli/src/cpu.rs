//! CPU time of the benchmark process and of its threads, read from `/proc` (Linux), so that a
//! benchmark can report CPU per event: unlike events per second, it does not depend on how much
//! of the machine other programs leave it.
//!
//! The process's total is `utime + stime` of `/proc/self/stat` (what `getrusage(RUSAGE_SELF)`
//! returns, threads that have ended included; the workspace forbids the `unsafe` a direct
//! `getrusage` call needs), in clock ticks of 10 ms. A thread's time is its
//! `se.sum_exec_runtime` in `/proc/self/task/<tid>/sched`, in nanoseconds' precision. Where
//! `/proc` cannot be read the figures are zero.

/// Clock ticks per second of `/proc/*/stat` (`USER_HZ`, 100 on every Linux architecture
/// junkan runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) the process has used, ended threads included.
pub fn process_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may contain spaces:
            // utime and stime are fields 14 and 15, i.e. the 12th and 13th after it.
            let after_name = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = after_name.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / TICKS_PER_SECOND)
        })
        .unwrap_or(0.0)
}

/// CPU seconds the thread `task` (a directory under `/proc/self/task`) has run.
fn task_seconds(task: &std::path::Path) -> f64 {
    std::fs::read_to_string(task.join("sched"))
        .ok()
        .and_then(|sched| {
            sched
                .lines()
                .find(|line| line.starts_with("se.sum_exec_runtime"))
                .and_then(|line| line.split(':').nth(1))
                .and_then(|milliseconds| milliseconds.trim().parse::<f64>().ok())
        })
        .map_or(0.0, |milliseconds| milliseconds / 1000.0)
}

/// CPU seconds of every live thread of the process whose name starts with `prefix` (Linux keeps
/// the first 15 bytes of a thread's name), summed.
pub fn threads_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .map(|task| task.path())
        .filter(|task| std::fs::read_to_string(task.join("comm")).is_ok_and(|name| name.trim_end().starts_with(prefix)))
        .map(|task| task_seconds(&task))
        .sum()
}

/// CPU seconds the calling thread has run (its `se.sum_exec_runtime`), for benchmarks on one
/// thread that must not count time other programs took from it.
pub fn current_thread_seconds() -> f64 {
    task_seconds(std::path::Path::new("/proc/thread-self"))
}

/// Seconds the threads whose name starts with `prefix` spent runnable but waiting for a core
/// (`run_delay`, the second field of `/proc/self/task/<tid>/schedstat`), summed: together with
/// their CPU time, it tells a thread that was starved by other threads from one that had
/// nothing to do.
pub fn threads_waiting_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .map(|task| task.path())
        .filter(|task| std::fs::read_to_string(task.join("comm")).is_ok_and(|name| name.trim_end().starts_with(prefix)))
        .filter_map(|task| {
            let schedstat = std::fs::read_to_string(task.join("schedstat")).ok()?;
            let nanoseconds: f64 = schedstat.split_whitespace().nth(1)?.parse().ok()?;
            Some(nanoseconds / 1e9)
        })
        .sum()
}
