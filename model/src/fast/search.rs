//! The breadth-first search: one level at a time, threads taking blocks of
//! states from a shared queue, a lock-free visited set between them.
//!
//! A level's states sit in blocks of [`BLOCK`]. Each worker takes a block,
//! and for each state evaluates the properties not yet discovered,
//! generates its successors, fingerprints them and prefetches their
//! slots, then inserts them (unless the worker's cache of recent
//! fingerprints has it); a new one goes into the worker's block of the
//! next level, packed if the model packs. The worker drops each state once expanded, so a level's
//! memory is freed as the next one fills. Counts go to shared counters
//! every [`FLUSH`] new states, which is also when a worker looks at the
//! table's load: past [`visited::MAX_LOAD`] it takes the table's write lock
//! and grows it (the others finish the state they are on and wait), or
//! stops the search if the larger table would not fit in the memory limit.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use stateright::{Expectation, Property};

use super::delta;
use super::fingerprint::fingerprint;
use super::memory;
use super::spill::Spill;
use super::visited::{self, Table};
use super::{Options, Outcome, Status, Stop, Successor, Unsupported};

/// States per block of work.
pub const BLOCK: usize = 512;
/// States whose successors are fingerprinted, prefetched, then looked up
/// together: more lookups in flight at once.
pub const GROUP: usize = 8;
/// Slots of a thread's cache of recently looked-up fingerprints, less one
/// (4 Ki slots, 32 KiB: within a core's L1 and L2 next to everything else).
/// On `default` it answers a quarter of the lookups; 64 Ki slots answered
/// two fifths but missed the core's caches often enough to be 5% slower
/// overall.
pub const RECENT_MASK: usize = (1 << 12) - 1;
/// New states a worker counts before adding them to the shared count.
pub const FLUSH: usize = 1024;
/// How often the caller hears where the check is.
pub const POLL: Duration = Duration::from_millis(50);

/// States waiting to be expanded: as they are, or packed
/// ([`Successor::pack`]) one after another.
enum Block<S> {
    States(Vec<S>),
    /// `delta`: written by a [`delta::Encoder`], else one after another.
    Packed {
        bytes: Vec<u8>,
        count: usize,
        delta: bool,
    },
}

impl<S> Block<S> {
    fn is_empty(&self) -> bool {
        match self {
            Block::States(v) => v.is_empty(),
            Block::Packed { count, .. } => *count == 0,
        }
    }
}

/// A level's blocks: in memory, or with [`Options::spill`] the packed ones
/// in a file ([`Spill`]).
struct Level<S> {
    memory: Mutex<Vec<Block<S>>>,
    disk: Option<Mutex<Spill>>,
}

impl<S> Level<S> {
    fn new(blocks: Vec<Block<S>>, disk: Option<Spill>) -> Level<S> {
        Level {
            memory: Mutex::new(blocks),
            disk: disk.map(Mutex::new),
        }
    }

    fn push(&self, block: Block<S>) -> std::io::Result<()> {
        match (block, &self.disk) {
            (
                Block::Packed {
                    bytes,
                    count,
                    delta,
                },
                Some(disk),
            ) => disk
                .lock()
                .expect("not poisoned")
                .write(&bytes, count, delta),
            (block, _) => {
                self.memory.lock().expect("not poisoned").push(block);
                Ok(())
            }
        }
    }

    /// A block to expand: those in memory first, then those on disk.
    fn pop(&self) -> std::io::Result<Option<Block<S>>> {
        if let Some(block) = self.memory.lock().expect("not poisoned").pop() {
            return Ok(Some(block));
        }
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        let read = disk.lock().expect("not poisoned").read()?;
        Ok(read.map(|(bytes, count, delta)| Block::Packed {
            bytes,
            count,
            delta,
        }))
    }

    fn is_empty(&self) -> bool {
        let on_disk = self
            .disk
            .as_ref()
            .map_or(0, |d| d.lock().expect("not poisoned").blocks());
        on_disk == 0
            && self
                .memory
                .lock()
                .expect("not poisoned")
                .iter()
                .all(Block::is_empty)
    }

    /// Bytes the level wrote to disk.
    fn spilled(&self) -> u64 {
        self.disk
            .as_ref()
            .map_or(0, |d| d.lock().expect("not poisoned").bytes())
    }

    /// Done writing: read from the first block.
    fn rewind(&self) -> std::io::Result<()> {
        match &self.disk {
            Some(d) => d.lock().expect("not poisoned").rewind(),
            None => Ok(()),
        }
    }
}

/// Scratch states a worker keeps for reuse.
const POOL: usize = 256;

struct Shared<'m, M: Successor> {
    model: &'m M,
    props: Vec<Property<M>>,
    all: u64,
    discovered: AtomicU64,
    table: RwLock<Table>,
    unique: AtomicUsize,
    generated: AtomicUsize,
    halt: AtomicBool,
    stopped: Mutex<Option<Stop>>,
    opts: &'m Options,
    depth: AtomicUsize,
    levels: Mutex<Vec<u64>>,
    /// Workers keep a cache of recent fingerprints (`SYNFIN_NO_RECENT` unset).
    recent_on: bool,
    /// The model packs states ([`Successor::pack`]).
    packed: bool,
    /// Store packed states as differences ([`delta`]).
    delta: bool,
    /// The initial states: a template to unpack into.
    init: Vec<M::State>,
    /// The most bytes two levels' spill files held at once.
    spilled: AtomicU64,
}

impl<M: Successor> Shared<'_, M> {
    fn halted(&self) -> bool {
        self.halt.load(Ordering::Relaxed)
    }

    /// Stop the search; the first reason given is the one reported.
    fn stop(&self, why: Option<Stop>) {
        if let Some(why) = why {
            let mut s = self.stopped.lock().expect("not poisoned");
            s.get_or_insert(why);
        }
        self.halt.store(true, Ordering::Relaxed);
    }

    fn interrupted(&self) -> bool {
        self.opts
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Grow the table if it is past its load limit, unless the larger one
    /// would pass the memory limit: then stop.
    fn grow(&self) {
        let mut table = self.table.write().expect("not poisoned");
        if self.unique.load(Ordering::Relaxed) <= table.limit() || self.halted() {
            return;
        }
        let capacity = (table.capacity() as f64 * visited::GROWTH) as usize;
        let bytes = (capacity * 8) as u64;
        if let Some(limit) = self.opts.max_memory {
            let resident = memory::rss().unwrap_or(0);
            if resident + bytes > limit {
                self.stop(Some(Stop::MemoryLimit {
                    limit,
                    resident,
                    wanted: resident + bytes,
                }));
                return;
            }
        }
        *table = table.grown(capacity, self.opts.threads);
    }

    /// Evaluate the undiscovered properties on `state`.
    #[inline]
    fn evaluate(&self, state: &M::State) {
        let seen = self.discovered.load(Ordering::Relaxed);
        if seen == self.all {
            return;
        }
        let mut hits = 0;
        for (i, p) in self.props.iter().enumerate() {
            let bit = 1 << i;
            if seen & bit != 0 {
                continue;
            }
            let holds = (p.condition)(self.model, state);
            let hit = match p.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => unreachable!("refused before the search"),
            };
            if hit {
                hits |= bit;
            }
        }
        if hits != 0 {
            let now = self.discovered.fetch_or(hits, Ordering::Relaxed) | hits;
            if now == self.all {
                // Every property has a discovery: done, as stateright is.
                self.stop(None);
            }
        }
    }

    /// Stop the search on a failed spill file.
    fn spill_failed(&self, e: &std::io::Error) {
        self.stop(Some(Stop::Spill(e.to_string())));
    }

    /// Hand a block of new states to the next level.
    fn put(&self, out: &Level<M::State>, block: Block<M::State>) {
        if let Err(e) = out.push(block) {
            self.spill_failed(&e);
        }
    }

    /// Expand blocks from `queue` until it is empty, putting new states
    /// in blocks on `out`.
    fn work(&self, queue: &Level<M::State>, out: &Level<M::State>)
    where
        M::State: std::hash::Hash + Clone,
    {
        let mut actions = Vec::new();
        let mut succ: Vec<(u64, M::State)> = Vec::new();
        // Scratch states for successors, reused when a successor was seen.
        let mut pool: Vec<M::State> = Vec::new();
        let mut next: Vec<M::State> = Vec::new();
        let mut next_bytes: Vec<u8> = Vec::new();
        let mut encoder = delta::Encoder::default();
        let mut packing: Vec<u8> = Vec::new();
        let mut next_count = 0;
        let mut out_delta = false;
        let (mut new, mut generated) = (0usize, 0usize);
        // The fingerprints this thread looked up last, direct-mapped: a
        // state reached again from a sibling is found here, in cache.
        let mut recent = vec![0u64; RECENT_MASK + 1];
        'blocks: while !self.halted() {
            let block = match queue.pop() {
                Ok(Some(block)) => block,
                Ok(None) => break,
                Err(e) => {
                    self.spill_failed(&e);
                    break;
                }
            };
            let mut table = self.table.read().expect("not poisoned");
            let (mut states, bytes, count, in_delta) = match block {
                Block::States(v) => (v.into_iter(), Vec::new(), 0, false),
                Block::Packed {
                    bytes,
                    count,
                    delta,
                } => (Vec::new().into_iter(), bytes, count, delta),
            };
            let mut decoder = delta::Decoder::default();
            let (mut unpacked, mut at) = (0, 0);
            loop {
                if self.halted() {
                    break 'blocks;
                }
                // A group of states' successors, fingerprinted and their
                // slots prefetched before the first is looked up.
                let mut expanded = 0;
                while expanded < GROUP {
                    let state = if let Some(state) = states.next() {
                        state
                    } else if unpacked < count {
                        let Some(mut state) = pool.pop().or_else(|| self.init.first().cloned())
                        else {
                            break;
                        };
                        if in_delta {
                            self.model.unpack(decoder.next(&bytes), &mut state);
                        } else {
                            at += self.model.unpack(&bytes[at..], &mut state);
                        }
                        unpacked += 1;
                        state
                    } else {
                        break;
                    };
                    expanded += 1;
                    self.evaluate(&state);
                    self.model.actions(&state, &mut actions);
                    for action in actions.drain(..) {
                        let mut s = pool.pop().unwrap_or_else(|| state.clone());
                        if !self.model.successor_into(&state, action, &mut s)
                            || !self.model.within_boundary(&s)
                        {
                            pool.push(s);
                            continue;
                        }
                        generated += 1;
                        let fp = fingerprint(&s);
                        if self.recent_on && recent[fp as usize & RECENT_MASK] == fp {
                            // Seen a moment ago: no trip to the table.
                            pool.push(s);
                            continue;
                        }
                        table.prefetch(fp);
                        succ.push((fp, s));
                    }
                    if pool.len() < POOL {
                        pool.push(state);
                    }
                }
                if expanded == 0 {
                    break;
                }
                for (fp, s) in succ.drain(..) {
                    recent[fp as usize & RECENT_MASK] = fp;
                    if !table.insert(fp) {
                        if pool.len() < POOL {
                            pool.push(s);
                        }
                        continue;
                    }
                    new += 1;
                    packing.clear();
                    if self.packed && self.model.pack(&s, &mut packing) {
                        if next_count == 0 {
                            out_delta = self.delta;
                        }
                        if out_delta {
                            encoder.push(&packing, &mut next_bytes);
                        } else {
                            next_bytes.extend_from_slice(&packing);
                        }
                        next_count += 1;
                        if pool.len() < POOL {
                            pool.push(s);
                        }
                        if next_count == BLOCK {
                            let mut bytes = std::mem::take(&mut next_bytes);
                            bytes.shrink_to_fit();
                            let full = Block::Packed {
                                bytes,
                                count: next_count,
                                delta: out_delta,
                            };
                            self.put(out, full);
                            next_count = 0;
                            encoder = delta::Encoder::default();
                        }
                    } else {
                        next.push(s);
                        if next.len() == BLOCK {
                            let full = Block::States(std::mem::take(&mut next));
                            self.put(out, full);
                        }
                    }
                }
                if new >= FLUSH {
                    let unique = self.unique.fetch_add(new, Ordering::Relaxed) + new;
                    self.generated.fetch_add(generated, Ordering::Relaxed);
                    (new, generated) = (0, 0);
                    if unique > table.limit() {
                        drop(table);
                        self.grow();
                        table = self.table.read().expect("not poisoned");
                    }
                    if self.interrupted() {
                        self.stop(Some(Stop::Interrupted));
                    }
                }
            }
        }
        self.unique.fetch_add(new, Ordering::Relaxed);
        self.generated.fetch_add(generated, Ordering::Relaxed);
        if !next.is_empty() {
            self.put(out, Block::States(next));
        }
        if next_count > 0 {
            let last = Block::Packed {
                bytes: next_bytes,
                count: next_count,
                delta: out_delta,
            };
            self.put(out, last);
        }
    }

    /// The search: level after level until one is empty or it is halted.
    fn run(&self, init: Vec<M::State>)
    where
        M::State: std::hash::Hash + Clone + Send + Sync,
        M: Sync,
    {
        self.depth.store(1, Ordering::Relaxed);
        self.levels
            .lock()
            .expect("not poisoned")
            .push(init.len() as u64);
        let mut frontier = Level::new(vec![Block::States(init)], None);
        while !self.halted() && !frontier.is_empty() {
            // Expanding level d finds level d + 1.
            self.depth.fetch_add(1, Ordering::Relaxed);
            let before = self.unique.load(Ordering::Relaxed);
            let disk = match self.opts.spill.as_deref().map(Spill::new).transpose() {
                Ok(disk) => disk,
                Err(e) => {
                    self.spill_failed(&e);
                    break;
                }
            };
            let out = Level::new(Vec::new(), disk);
            std::thread::scope(|s| {
                for _ in 0..self.opts.threads.max(1) {
                    s.spawn(|| self.work(&frontier, &out));
                }
            });
            self.spilled
                .fetch_max(frontier.spilled() + out.spilled(), Ordering::Relaxed);
            // The level just expanded is dropped here, and its file with it.
            frontier = out;
            if let Err(e) = frontier.rewind() {
                self.spill_failed(&e);
            }
            let found = self.unique.load(Ordering::Relaxed) - before;
            if !self.halted() && found > 0 {
                self.levels.lock().expect("not poisoned").push(found as u64);
            }
        }
    }
}

/// Check `model` exhaustively (see the [module doc](super)), telling
/// `status` where it is every [`POLL`].
pub fn check<M>(
    model: &M,
    opts: &Options,
    status: &mut dyn FnMut(&Status),
) -> Result<Outcome, Unsupported>
where
    M: Successor + Sync,
    M::State: std::hash::Hash + Clone + Send + Sync,
{
    let start = Instant::now();
    let props = model.properties();
    if let Some(p) = props
        .iter()
        .find(|p| p.expectation == Expectation::Eventually)
    {
        return Err(Unsupported(format!(
            "property `{}` is an eventually property, which needs paths: use stateright's checker",
            p.name
        )));
    }
    if props.len() > 64 {
        return Err(Unsupported(format!(
            "{} properties: at most 64 are supported",
            props.len()
        )));
    }
    let all = if props.len() == 64 {
        u64::MAX
    } else {
        (1u64 << props.len()) - 1
    };
    // Size the table for the expected count, within the memory limit
    // (leaving room for the states waiting in the queue).
    let mut capacity = opts
        .expected_states
        .map_or(visited::MIN_CAPACITY, Table::capacity_for);
    if let Some(limit) = opts.max_memory {
        capacity = capacity.min((limit / 2 / 8) as usize);
    }
    let init: Vec<M::State> = model
        .init_states()
        .into_iter()
        .filter(|s| model.within_boundary(s))
        .collect();
    let shared = Shared {
        model,
        props,
        all,
        discovered: AtomicU64::new(0),
        table: RwLock::new(Table::with_capacity(capacity)),
        unique: AtomicUsize::new(0),
        generated: AtomicUsize::new(0),
        halt: AtomicBool::new(false),
        stopped: Mutex::new(None),
        opts,
        depth: AtomicUsize::new(0),
        levels: Mutex::new(Vec::new()),
        recent_on: std::env::var_os("SYNFIN_NO_RECENT").is_none(),
        packed: std::env::var_os("SYNFIN_NO_PACK").is_none()
            && init.first().is_some_and(|s| model.pack(s, &mut Vec::new())),
        delta: opts
            .delta
            .or_else(|| std::env::var("SYNFIN_DELTA").ok().map(|v| v != "0"))
            .unwrap_or(true),
        init: init.clone(),
        spilled: AtomicU64::new(0),
    };
    shared.generated.store(init.len(), Ordering::Relaxed);
    let init: Vec<M::State> = {
        let table = shared.table.read().expect("not poisoned");
        init.into_iter()
            .filter(|s| table.insert(fingerprint(s)))
            .collect()
    };
    shared.unique.store(init.len(), Ordering::Relaxed);
    std::thread::scope(|s| {
        // Watched by whether it has finished, not by a flag it sets: a
        // model that panics ends the search thread too, and the scope then
        // passes the panic on instead of this loop waiting for ever.
        let search = s.spawn(|| shared.run(init));
        let mut ticks = 0u32;
        while !search.is_finished() {
            std::thread::sleep(POLL / 5);
            ticks += 1;
            if !ticks.is_multiple_of(5) {
                continue;
            }
            let resident = memory::rss();
            if let Some(why) = Stop::poll(opts.max_memory, resident, opts.stop.as_deref()) {
                shared.stop(Some(why));
            }
            status(&Status {
                states: shared.unique.load(Ordering::Relaxed),
                depth: shared.depth.load(Ordering::Relaxed),
                levels: shared.levels.lock().expect("not poisoned").clone(),
                elapsed: start.elapsed(),
                resident,
            });
        }
    });
    let bits = shared.discovered.load(Ordering::Relaxed);
    let table_bytes = shared.table.read().expect("not poisoned").bytes();
    let stopped = shared.stopped.into_inner().expect("not poisoned");
    let halted = shared.halt.load(Ordering::Relaxed);
    let levels = shared.levels.into_inner().expect("not poisoned");
    Ok(Outcome {
        unique_states: shared.unique.load(Ordering::Relaxed),
        states: shared.generated.load(Ordering::Relaxed),
        max_depth: if stopped.is_some() {
            shared.depth.load(Ordering::Relaxed)
        } else {
            levels.len()
        },
        levels,
        discovered: shared
            .props
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, p)| p.name)
            .collect(),
        exhaustive: !halted,
        stopped,
        table_bytes,
        spilled_bytes: shared.spilled.load(Ordering::Relaxed),
        seconds: start.elapsed().as_secs_f64(),
    })
}
