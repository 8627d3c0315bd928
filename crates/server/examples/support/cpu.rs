//! CPU time from Linux's `/proc`, for the benchmarks that say where the time went.

/// CPU seconds (user and system) used so far by the process or thread whose `stat` file is at
/// `path` (`/proc/self/stat`, `/proc/PID/stat`, `/proc/self/task/TID/stat`); `None` when it
/// cannot be read (not Linux, a thread that ended). Linux counts 100 ticks a second.
pub fn cpu_secs(path: &std::path::Path) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The fields after the command's closing parenthesis: utime and stime are the 14th and
    // 15th of the line, so the 12th and 13th of these.
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Seconds the whole machine's cores spent idle so far (idle and waiting for I/O, summed over
/// the cores, from `/proc/stat`); `None` when it cannot be read.
#[allow(dead_code)]
pub fn idle_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    Some((f.get(3)? + f.get(4)?) / 100.0)
}
