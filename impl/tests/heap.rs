//! `Connection::heap_bytes` is the memory accounting the endpoint's SYN-flood
//! bound rests on (`Endpoint::heap_bytes`, the `syn_flood_stays_within_the_backlog_bound`
//! test). Here it is checked against the allocator itself: a counting
//! global allocator keeps, per thread, the bytes live on the heap, and a
//! connection's queues must account for exactly what it allocated.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{seg, LOCAL, LOCAL_ISS, LOCAL_SEQ, REMOTE, REMOTE_ISS, REMOTE_SEQ};
use synfin_tcp::conn::{Config, Connection, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

/// The system allocator, counting the bytes each thread holds.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // During thread teardown the counter may be gone; nothing is measured then.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call is forwarded unchanged to `System`; the counter is a
// thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// With data unacknowledged, data unread, and the output queues drained
/// (their capacity kept), `heap_bytes` is exactly what the allocator holds
/// for the connection.
#[test]
fn heap_bytes_is_what_the_allocator_holds() {
    let before = live();
    let mut isn = FixedIsn(LOCAL_ISS);
    let now = Instant::ZERO;
    let mut c = Connection::connect(Config::rfc9293(), now, LOCAL, REMOTE, &mut isn).unwrap();
    let synack = seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ);
    c.handle_segment(now, &synack);
    assert_eq!(c.state(), State::Established);
    assert_eq!(c.send(now, &[1; 3000]), Ok(3000));
    let data = Segment {
        payload: vec![2; 700],
        ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
    };
    c.handle_segment(now, &data);
    drop((synack, data));
    let sent: usize = std::iter::from_fn(|| c.poll_transmit())
        .map(|s| s.payload.len())
        .sum();
    assert_eq!(sent, 3000);
    assert_eq!(std::iter::from_fn(|| c.poll_event()).count(), 2);
    assert_eq!((c.send_queue_len(), c.recv_queue_len()), (3000, 700));

    let held = usize::try_from(live() - before).unwrap();
    assert_eq!(c.heap_bytes(), held);
    // Every queue has kept its capacity, so each term counts.
    assert!(held >= 3000 + 700 + 4 * size_of::<Segment>());
}
