//! One worker of a distributed check: the dataflow that searches, the
//! visited set of the states it owns, and the [`Summary`] it sends to
//! worker 0 when the loop runs dry.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use stateright::{Expectation, Property};
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::{
    Capability, Concat, ConnectLoop, Exchange as _, Feedback, Inspect, ToStream,
};

use super::EXPAND_AT_ONCE;
use crate::fast::fingerprint::fingerprint;
use crate::fast::search::RECENT_MASK;
use crate::fast::visited::{self, Table};
use crate::fast::{memory, Stop, Successor};

/// The longest an idle worker sleeps before it looks at the stop flag.
const PARK: std::time::Duration = std::time::Duration::from_millis(1);

/// What one worker found: sent to worker 0 when the loop runs dry.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// New states this worker took, per level.
    pub levels: Vec<u64>,
    /// Successors this worker generated, repeats included.
    pub generated: u64,
    /// Bits of the properties (in the model's order) with a discovery.
    pub discovered: u64,
    /// Why this worker stopped early: 1 interrupted, 2 memory limit.
    pub stopped: u8,
    /// For a memory stop: the limit, resident and wanted bytes.
    pub memory: [u64; 3],
    /// Bytes of this worker's visited set.
    pub table_bytes: u64,
    /// The model panicked in a worker of this process: its message.
    pub panicked: Option<String>,
}

impl Summary {
    /// Fold `other` into this one.
    fn merge(&mut self, other: &Summary) {
        if self.levels.len() < other.levels.len() {
            self.levels.resize(other.levels.len(), 0);
        }
        for (a, b) in self.levels.iter_mut().zip(&other.levels) {
            *a += b;
        }
        self.generated += other.generated;
        self.discovered |= other.discovered;
        if self.stopped == 0 {
            self.stopped = other.stopped;
            self.memory = other.memory;
        }
        self.table_bytes += other.table_bytes;
        if self.panicked.is_none() {
            self.panicked.clone_from(&other.panicked);
        }
    }

    pub(super) fn stop(&self) -> Option<Stop> {
        match self.stopped {
            0 => None,
            2 => Some(Stop::MemoryLimit {
                limit: self.memory[0],
                resident: self.memory[1],
                wanted: self.memory[2],
            }),
            3 => Some(Stop::Spill("a process's spill file failed".into())),
            _ => Some(Stop::Interrupted),
        }
    }
}

/// States on their way to one worker, one after another: each its
/// fingerprint (8 bytes), the length of its packing (2 bytes), then the
/// packing ([`Successor::pack`]). States travel in batches so that a
/// batch, not a state, costs an allocation and a message, and a batch is
/// one run of bytes to serialize.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Batch {
    /// The worker that owns these states.
    to: u32,
    /// States in `bytes`.
    count: u32,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

impl Batch {
    /// An empty batch for worker `to`.
    fn for_worker(to: u32) -> Batch {
        Batch {
            to,
            ..Batch::default()
        }
    }

    /// This batch's states, leaving it empty for the same worker.
    fn take(&mut self) -> Batch {
        std::mem::replace(self, Batch::for_worker(self.to))
    }

    fn push(&mut self, fp: u64, packed: &[u8]) {
        let len = u16::try_from(packed.len()).expect("a packed state is under 64 KiB");
        self.bytes.extend_from_slice(&fp.to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(packed);
        self.count += 1;
    }

    /// Each state's fingerprint and packed bytes.
    fn states(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let mut rest = &self.bytes[..];
        std::iter::from_fn(move || {
            let (head, tail) = rest.split_at_checked(10)?;
            let fp = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
            let len = usize::from(u16::from_le_bytes([head[8], head[9]]));
            let (packed, tail) = tail.split_at(len);
            rest = tail;
            Some((fp, packed))
        })
    }
}

/// States in a batch before it is sent.
const STATES_PER_BATCH: usize = 1024;

/// The worker that owns fingerprint `fp`: its low bits (the visited set
/// places a fingerprint by its high bits, so a worker's share still
/// spreads over its whole table).
fn owner(fp: u64, peers: usize) -> u32 {
    (fp % peers as u64) as u32
}

/// Why this process stopped, shared by its workers and the polling thread.
#[derive(Default)]
pub(super) struct Halt {
    flag: AtomicBool,
    why: Mutex<Option<Stop>>,
    panicked: Mutex<Option<String>>,
}

impl Halt {
    pub(super) fn set(&self, why: Stop) {
        self.why.lock().expect("not poisoned").get_or_insert(why);
        self.flag.store(true, Ordering::Relaxed);
    }

    /// The model panicked in a worker: every worker of this process stops
    /// expanding, so that the loop drains and ends, where the others would
    /// wait for ever on a worker that is gone.
    fn fail(&self, payload: &(dyn std::any::Any + Send)) {
        let message = payload
            .downcast_ref::<&str>()
            .map(|m| m.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        self.panicked
            .lock()
            .expect("not poisoned")
            .get_or_insert(message);
        self.flag.store(true, Ordering::Relaxed);
    }

    /// The message of the model's panic in this process, if it panicked.
    pub(super) fn panicked(&self) -> Option<String> {
        self.panicked.lock().expect("not poisoned").clone()
    }

    fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    fn code(&self) -> (u8, [u64; 3]) {
        match &*self.why.lock().expect("not poisoned") {
            None => (0, [0; 3]),
            Some(Stop::Interrupted) => (1, [0; 3]),
            Some(Stop::MemoryLimit {
                limit,
                resident,
                wanted,
            }) => (2, [*limit, *resident, *wanted]),
            // Timely keeps its queue in memory; a spill failure cannot
            // arise here, but a code must exist for every reason.
            Some(Stop::Spill(_)) => (3, [0; 3]),
        }
    }
}

/// Counters the polling thread reads.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) unique: AtomicUsize,
    pub(super) depth: AtomicUsize,
    pub(super) halt: Halt,
}

/// One worker's part: the search loop, then the summaries to worker 0.
pub(super) fn search<M>(
    worker: &mut timely::worker::Worker,
    model: &Arc<M>,
    shared: &Arc<Shared>,
    per_worker: Option<usize>,
    max_memory: Option<u64>,
) -> Option<Summary>
where
    M: Successor + Send + Sync + 'static,
    M::State: Hash + Clone,
{
    let index = worker.index();
    let summary = Rc::new(RefCell::new(Summary::default()));
    let peers = worker.peers();
    let mut init = Batch::default();
    if index == 0 {
        for s in model.init_states() {
            let mut bytes = Vec::new();
            model.pack(&s, &mut bytes);
            init.push(fingerprint(&s), &bytes);
        }
    }
    // Each initial state to its owner.
    let init: Vec<Batch> = init
        .states()
        .map(|(fp, bytes)| {
            let mut b = Batch::for_worker(owner(fp, peers));
            b.push(fp, bytes);
            b
        })
        .collect();
    summary.borrow_mut().generated = init.len() as u64;
    let expander = Expander::new(model.clone(), shared.clone(), per_worker, max_memory, peers);
    let expander = Rc::new(RefCell::new(expander));
    {
        let expander = expander.clone();
        worker.dataflow::<u32, _, _>(move |scope| {
            let (handle, cycle) = scope.feedback::<Vec<Batch>>(1);
            let activator_scope = scope;
            init.to_stream(scope)
                .concat(cycle)
                .unary_frontier(
                    Exchange::new(|b: &Batch| u64::from(b.to)),
                    "Expand",
                    move |_cap, info| {
                        let activator = activator_scope.activator_for(info.address);
                        // Per level: the capability to send its successors,
                        // its new states packed one after another, and how
                        // far they have been expanded.
                        let mut stash: BTreeMap<u32, Level> = BTreeMap::new();
                        move |(input, frontier), output| {
                            let mut ex = expander.borrow_mut();
                            input.for_each_stamp(|cap, data| {
                                let t = *cap.least().expect("a stamp of a totally ordered time");
                                for batches in data {
                                    for batch in batches.drain(..) {
                                        for (fp, bytes) in batch.states() {
                                            if ex.halted() || !ex.visit(fp, t) {
                                                continue;
                                            }
                                            let level = stash.entry(t).or_insert_with(|| {
                                                Level::new(
                                                    cap.retain_least(output.output_index()).expect(
                                                        "the input's time has a capability",
                                                    ),
                                                )
                                            });
                                            level.push(bytes);
                                        }
                                    }
                                }
                            });
                            if ex.halted() {
                                stash.clear();
                                return;
                            }
                            // Expand the oldest level no more states can
                            // arrive at, a batch at a time.
                            let Some((&t, _)) = stash.first_key_value() else {
                                return;
                            };
                            if frontier.frontier().less_equal(&t) {
                                return;
                            }
                            let level = stash.get_mut(&t).expect("just seen");
                            let mut session = output.session(&level.cap);
                            let chunk = &level.chunks[level.next];
                            let expanded = catch_unwind(AssertUnwindSafe(|| {
                                ex.expand(&chunk[level.at..], EXPAND_AT_ONCE, &mut |b| {
                                    session.give(b)
                                })
                            }));
                            drop(session);
                            let used = match expanded {
                                Ok(used) => used,
                                Err(payload) => {
                                    ex.shared.halt.fail(payload.as_ref());
                                    stash.clear();
                                    return;
                                }
                            };
                            if level.advance(used) {
                                stash.remove(&t);
                            }
                            if !stash.is_empty() {
                                activator.activate();
                            }
                        }
                    },
                )
                .connect_loop(handle);
        });
    }
    while worker.step_or_park(Some(PARK)) {}
    {
        let ex = expander.borrow();
        let mut s = summary.borrow_mut();
        s.levels = ex.levels.clone();
        s.generated += ex.generated;
        s.discovered = ex.discovered;
        (s.stopped, s.memory) = shared.halt.code();
        s.panicked = shared.halt.panicked();
        s.table_bytes = ex.table.bytes();
    }

    // Every worker's summary to worker 0, which merges them.
    let gathered = Rc::new(RefCell::new(Vec::new()));
    {
        let mine = summary.borrow().clone();
        let gathered = gathered.clone();
        worker.dataflow::<u32, _, _>(move |scope| {
            vec![mine]
                .to_stream(scope)
                .container::<Vec<Summary>>()
                .exchange(|_: &Summary| 0)
                .inspect(move |s: &Summary| gathered.borrow_mut().push(s.clone()));
        });
    }
    while worker.step_or_park(Some(PARK)) {}
    (index == 0).then(|| {
        let mut merged = Summary::default();
        for s in gathered.borrow().iter() {
            merged.merge(s);
        }
        merged
    })
}

/// A level's new states, waiting to be expanded: packed one after
/// another in chunks of about [`CHUNK`] bytes, each freed once expanded,
/// so a level being expanded gives back its memory as the next one fills.
struct Level {
    /// To send the successors with.
    cap: Capability<u32>,
    chunks: Vec<Vec<u8>>,
    /// The chunk being expanded.
    next: usize,
    /// The bytes of it expanded so far.
    at: usize,
}

/// Bytes in a chunk of a [`Level`].
const CHUNK: usize = 1 << 20;

impl Level {
    fn new(cap: Capability<u32>) -> Level {
        Level {
            cap,
            chunks: vec![Vec::new()],
            next: 0,
            at: 0,
        }
    }

    /// Add a packed state; a state never straddles two chunks.
    fn push(&mut self, packed: &[u8]) {
        let last = self.chunks.last_mut().expect("a level has a chunk");
        if !last.is_empty() && last.len() + packed.len() > CHUNK {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks
            .last_mut()
            .expect("just pushed")
            .extend_from_slice(packed);
    }

    /// `used` more bytes are expanded: free a finished chunk. True once
    /// the whole level is.
    fn advance(&mut self, used: usize) -> bool {
        self.at += used;
        if self.at == self.chunks[self.next].len() {
            self.chunks[self.next] = Vec::new();
            self.next += 1;
            self.at = 0;
        }
        self.next == self.chunks.len()
    }
}

/// A worker's visited set and the means to expand its states.
struct Expander<M: Successor> {
    model: Arc<M>,
    props: Vec<Property<M>>,
    all: u64,
    discovered: u64,
    table: Table,
    levels: Vec<u64>,
    generated: u64,
    shared: Arc<Shared>,
    max_memory: Option<u64>,
    /// Fingerprints this worker sent last, direct-mapped.
    recent: Vec<u64>,
    state: Option<M::State>,
    scratch: Option<M::State>,
    actions: Vec<M::Action>,
    /// New states not yet added to the shared count.
    unflushed: usize,
    /// A batch being filled for each worker.
    out: Vec<Batch>,
}

impl<M: Successor> Expander<M>
where
    M::State: Hash + Clone,
{
    fn new(
        model: Arc<M>,
        shared: Arc<Shared>,
        per_worker: Option<usize>,
        max_memory: Option<u64>,
        peers: usize,
    ) -> Self {
        let props = model.properties();
        let all = if props.len() >= 64 {
            u64::MAX
        } else {
            (1 << props.len()) - 1
        };
        Expander {
            model,
            props,
            all,
            discovered: 0,
            table: Table::with_capacity(per_worker.map_or(0, Table::capacity_for)),
            levels: Vec::new(),
            generated: 0,
            shared,
            max_memory,
            recent: vec![0; RECENT_MASK + 1],
            state: None,
            scratch: None,
            actions: Vec::new(),
            unflushed: 0,
            out: (0..peers as u32).map(Batch::for_worker).collect(),
        }
    }

    fn halted(&self) -> bool {
        self.shared.halt.is_set()
    }

    /// Look `fp` up, at level `t`; true if it is new (and now visited).
    fn visit(&mut self, fp: u64, t: u32) -> bool {
        if !self.table.insert(fp) {
            return false;
        }
        let level = t as usize;
        if self.levels.len() <= level {
            self.levels.resize(level + 1, 0);
            self.shared.depth.fetch_max(level + 1, Ordering::Relaxed);
        }
        self.levels[level] += 1;
        self.unflushed += 1;
        if self.unflushed >= 1024 {
            self.flush();
        }
        true
    }

    fn flush(&mut self) {
        self.shared
            .unique
            .fetch_add(std::mem::take(&mut self.unflushed), Ordering::Relaxed);
        let count: u64 = self.levels.iter().sum();
        if count as usize > self.table.limit() {
            self.grow();
        }
    }

    /// A larger table, unless it would pass the memory limit: then stop.
    fn grow(&mut self) {
        let capacity = (self.table.capacity() as f64 * visited::GROWTH) as usize;
        let wanted = (capacity * 8) as u64;
        if let (Some(limit), Some(resident)) = (self.max_memory, memory::rss()) {
            if resident + wanted > limit {
                self.shared.halt.set(Stop::MemoryLimit {
                    limit,
                    resident,
                    wanted: resident + wanted,
                });
                return;
            }
        }
        self.table = self.table.grown(capacity, 1);
    }

    /// Expand up to `max` states packed at the start of `bytes`, giving
    /// their successors, in batches, to `send`; return the bytes read.
    fn expand(&mut self, bytes: &[u8], max: usize, send: &mut dyn FnMut(Batch)) -> usize {
        let model = self.model.clone();
        let mut at = 0;
        let mut state = self.state.take().unwrap_or_else(|| {
            model
                .init_states()
                .into_iter()
                .next()
                .expect("an initial state")
        });
        let mut next = self.scratch.take().unwrap_or_else(|| state.clone());
        let mut packed = Vec::new();
        for _ in 0..max {
            if at == bytes.len() {
                break;
            }
            at += model.unpack(&bytes[at..], &mut state);
            self.evaluate(&state);
            self.actions.clear();
            model.actions(&state, &mut self.actions);
            for action in self.actions.drain(..) {
                if !model.successor_into(&state, action, &mut next) {
                    continue;
                }
                if !model.within_boundary(&next) {
                    continue;
                }
                self.generated += 1;
                let fp = fingerprint(&next);
                let slot = &mut self.recent[fp as usize & RECENT_MASK];
                if *slot == fp {
                    continue;
                }
                *slot = fp;
                packed.clear();
                model.pack(&next, &mut packed);
                let peers = self.out.len();
                let batch = &mut self.out[owner(fp, peers) as usize];
                batch.push(fp, &packed);
                if batch.count as usize == STATES_PER_BATCH {
                    send(batch.take());
                }
            }
        }
        // Nothing waits past this call: the level's capability may go.
        for batch in &mut self.out {
            if batch.count > 0 {
                send(batch.take());
            }
        }
        self.state = Some(state);
        self.scratch = Some(next);
        at
    }

    fn evaluate(&mut self, state: &M::State) {
        if self.discovered == self.all {
            return;
        }
        for (i, p) in self.props.iter().enumerate() {
            let bit = 1 << i;
            if self.discovered & bit != 0 {
                continue;
            }
            let holds = (p.condition)(&self.model, state);
            let hit = match p.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => unreachable!("refused before the search"),
            };
            if hit {
                self.discovered |= bit;
            }
        }
    }
}
