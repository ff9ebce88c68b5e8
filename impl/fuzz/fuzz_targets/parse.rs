//! `Segment::parse` on arbitrary bytes: never panics, and whatever parses
//! re-emits to bytes that parse to the same segment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use synfin_tcp::wire::Segment;

fuzz_target!(|data: &[u8]| {
    if let Ok(seg) = Segment::parse(data) {
        let again = Segment::parse(&seg.emit()).expect("an emitted segment parses");
        assert_eq!(again, seg);
    }
});
