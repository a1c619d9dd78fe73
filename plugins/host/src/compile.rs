//! Compiling an uploaded component where it cannot hurt the server: in a
//! child process with a memory limit and a wall-clock limit.
//!
//! Compiling is the one step of a rule's life the fuel, memory and time
//! limits of a call do not cover, and a component can be made to take
//! seconds and gigabytes to compile (thousands of locals live across
//! thousands of blocks, a million functions). So the server never compiles
//! in its own process: [`compile_in_child`] runs the same executable in
//! its compiling mode ([`child_main`]), which caps its own data segment
//! (`RLIMIT_DATA`) and CPU time before reading the component, compiles it
//! with the server's engine settings and writes the compiled artifact.
//! The parent kills the child at the wall-clock limit, and loads the
//! artifact with [`crate::Plugin::load_compiled`].
//!
//! The time limit counts the processor time the compile spends (all its
//! threads), not the wall clock: the child runs at a low priority so that
//! the server's requests come first, and a busy server must not make a
//! sound component fail. The wall clock is a backstop at three times the
//! limit.

use crate::engine;
use crate::load::{LoadError, MAX_COMPONENT_BYTES, kind_check};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bounds of one compile.
#[derive(Clone, Debug)]
pub struct CompileLimits {
    /// The child's data segment (heap and anonymous memory), in bytes.
    pub memory_bytes: u64,
    /// Processor time (all the compiler's threads) until the child is
    /// killed; the wall clock allows [`WALL_CLOCK_FACTOR`] times as much.
    pub timeout: Duration,
}

impl Default for CompileLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 512 << 20,
            timeout: Duration::from_secs(10),
        }
    }
}

/// How to start the compiling child: a program and the arguments that put
/// it in compiling mode (the server passes its own executable).
#[derive(Clone, Debug)]
pub struct Compiler {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub limits: CompileLimits,
}

/// A compiled artifact, and what compiling it cost.
#[derive(Debug)]
pub struct Compiled {
    pub artifact: Vec<u8>,
    pub duration: Duration,
    /// The child's peak resident memory, in bytes (0 when unknown).
    pub peak_memory: u64,
}

/// How much longer than its processor-time limit a compile may take by
/// the wall clock (it waits behind the server's requests).
pub const WALL_CLOCK_FACTOR: u32 = 3;

/// What the child prints on its last line of stderr on success.
const PEAK: &str = "minsheng-compile-peak-bytes ";
/// Exit code of a child that refused the component (the message on stderr).
const REFUSED: i32 = 3;

/// Compile `bytes` in a child process under the compiler's limits.
pub fn compile_in_child(compiler: &Compiler, bytes: &[u8]) -> Result<Compiled, LoadError> {
    if bytes.len() > MAX_COMPONENT_BYTES {
        return Err(LoadError::TooLarge(bytes.len()));
    }
    kind_check(bytes)?;
    let limits = &compiler.limits;
    let started = Instant::now();
    let mut child = Command::new(&compiler.program)
        .args(&compiler.args)
        .env(
            "MINSHENG_COMPILE_MEMORY_BYTES",
            limits.memory_bytes.to_string(),
        )
        .env(
            "MINSHENG_COMPILE_CPU_SECS",
            (limits.timeout.as_secs() + 1).to_string(),
        )
        // Fewer malloc arenas: less address space, the same speed here.
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| LoadError::Server(format!("could not start the compiler: {e}")))?;
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(LoadError::Server("the compiler's pipes are missing".into()));
    };
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        // A child that dies early closes the pipe: its exit says why.
        let _ = stdin.write_all(&input);
    });
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let errors = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut out);
        out
    });
    let pid = child.id();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None)
                if started.elapsed() >= limits.timeout * WALL_CLOCK_FACTOR
                    || processor_time(pid).is_some_and(|t| t >= limits.timeout) =>
            {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                return Err(LoadError::CompileTimeout(limits.timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(LoadError::Server(format!("waiting for the compiler: {e}"))),
        }
    };
    let _ = writer.join();
    let artifact = reader.join().unwrap_or_default();
    let printed = String::from_utf8_lossy(&errors.join().unwrap_or_default()).into_owned();
    let duration = started.elapsed();
    use std::os::unix::process::ExitStatusExt;
    let out_of_memory = printed.contains("memory allocation")
        || printed.contains("out of memory")
        || printed.contains("Cannot allocate memory");
    match (status.code(), status.signal()) {
        (Some(0), _) => {
            let peak_memory = printed
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix(PEAK))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            Ok(Compiled {
                artifact,
                duration,
                peak_memory,
            })
        }
        _ if out_of_memory => Err(LoadError::CompileMemory(limits.memory_bytes >> 20)),
        (Some(REFUSED), _) => Err(LoadError::Compile(printed.trim().to_owned())),
        // SIGXCPU: the CPU-time backstop.
        (_, Some(24)) => Err(LoadError::CompileTimeout(limits.timeout.as_secs_f64())),
        (_, Some(signal)) => Err(LoadError::Compile(format!(
            "the compiler stopped on this component (signal {signal}); it is refused"
        ))),
        (code, _) => Err(LoadError::Server(format!(
            "the compiler failed (exit {code:?}): {}",
            printed.chars().take(500).collect::<String>()
        ))),
    }
}

/// The compiling child: limit this process, read a component on stdin,
/// compile it with the server's engine settings, write the artifact on
/// stdout. Returns the process's exit code.
pub fn child_main() -> i32 {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let memory = number("MINSHENG_COMPILE_MEMORY_BYTES").unwrap_or(512 << 20);
    let cpu = number("MINSHENG_COMPILE_CPU_SECS").unwrap_or(11);
    // Compiling yields the processor to the server's requests.
    #[allow(unsafe_code)]
    // SAFETY: nice() only changes this process's scheduling priority.
    unsafe {
        libc::nice(10);
    }
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::DATA, memory, memory)
        .and_then(|()| rlimit::setrlimit(rlimit::Resource::CPU, cpu, cpu))
    {
        eprintln!("could not limit the compiler: {e}");
        return 1;
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .take(MAX_COMPONENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
    {
        eprintln!("could not read the component: {e}");
        return 1;
    }
    if bytes.len() > MAX_COMPONENT_BYTES {
        eprintln!("the component is larger than {MAX_COMPONENT_BYTES} bytes");
        return REFUSED;
    }
    let engine = match engine::compiling_engine() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("could not make the engine: {e:#}");
            return 1;
        }
    };
    match engine.precompile_component(&bytes) {
        Ok(artifact) => {
            if let Err(e) = std::io::stdout().lock().write_all(&artifact) {
                eprintln!("could not write the artifact: {e}");
                return 1;
            }
            eprintln!("{PEAK}{}", peak_resident());
            0
        }
        Err(e) => {
            eprintln!("{e:#}");
            REFUSED
        }
    }
}

/// The processor time a process has spent, user and system, all threads
/// (Linux: `/proc/{pid}/stat`, in clock ticks of 1/100 s).
fn processor_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may hold spaces: the fields start after its ')'.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split(' ');
    // After the command: state (3), … utime (14), stime (15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// This process's peak resident memory (Linux: VmHWM), in bytes.
fn peak_resident() -> u64 {
    memory_of(None, "VmHWM")
}

/// A memory figure of a process (this one when `pid` is `None`) from
/// Linux's `/proc/{pid}/status`, such as `VmRSS` (resident now) or
/// `VmHWM` (peak resident), in bytes; 0 when it cannot be read.
pub fn memory_of(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib << 10)
}
