//! A level's packed states on disk ([`super::Options::spill`]).
//!
//! After the visited set, the states waiting to be expanded are the
//! engine's memory: on `deep` the two levels in flight took 0.37 GiB at
//! the peak, beside a 1 GiB table. Spilled, each block of packed states is
//! appended to an unnamed file while its level is found, and read back,
//! front to back, while the next level is expanded; resident memory is
//! then the table and the blocks the workers hold. Writes and reads are
//! both sequential, so the kernel's page cache and read-ahead do the
//! buffering, and the file is gone when it is closed, even if the process
//! is killed.
//!
//! A block on disk is its state count (4 bytes, little-endian), whether
//! it is delta-encoded (1 byte), its length (4 bytes) and its bytes.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// One level's blocks: written while the level is found, then read.
pub struct Spill {
    mode: Mode,
    /// Blocks written and not yet read.
    blocks: usize,
    /// Bytes written, headers included.
    bytes: u64,
}

enum Mode {
    Writing(BufWriter<File>),
    Reading(BufReader<File>),
    /// After an I/O error: nothing more is read or written.
    Failed,
}

/// A block read back: its packed bytes, state count and whether it is
/// delta-encoded.
pub type Block = (Vec<u8>, usize, bool);

const BUFFER: usize = 1 << 20;

impl Spill {
    /// An empty spill in a new unnamed file under `dir`.
    pub fn new(dir: &Path) -> io::Result<Spill> {
        let file = tempfile::tempfile_in(dir)?;
        Ok(Spill {
            mode: Mode::Writing(BufWriter::with_capacity(BUFFER, file)),
            blocks: 0,
            bytes: 0,
        })
    }

    /// Append a block of `count` states.
    pub fn write(&mut self, bytes: &[u8], count: usize, delta: bool) -> io::Result<()> {
        let Mode::Writing(w) = &mut self.mode else {
            return Err(io::Error::other("spill file written after it was read"));
        };
        let header = header(count, delta, bytes.len())?;
        let written = w.write_all(&header).and_then(|()| w.write_all(bytes));
        if let Err(e) = written {
            self.mode = Mode::Failed;
            return Err(e);
        }
        self.blocks += 1;
        self.bytes += (header.len() + bytes.len()) as u64;
        Ok(())
    }

    /// Turn from writing to reading, at the first block.
    pub fn rewind(&mut self) -> io::Result<()> {
        let mode = std::mem::replace(&mut self.mode, Mode::Failed);
        let Mode::Writing(w) = mode else {
            return Err(io::Error::other("spill file rewound twice"));
        };
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.mode = Mode::Reading(BufReader::with_capacity(BUFFER, file));
        Ok(())
    }

    /// The next block, or `None` once every block written has been read.
    pub fn read(&mut self) -> io::Result<Option<Block>> {
        if self.blocks == 0 {
            return Ok(None);
        }
        let Mode::Reading(r) = &mut self.mode else {
            return Err(io::Error::other("spill file read before it was rewound"));
        };
        let block = read_block(r);
        match block {
            Ok(b) => {
                self.blocks -= 1;
                Ok(Some(b))
            }
            Err(e) => {
                self.mode = Mode::Failed;
                Err(e)
            }
        }
    }

    /// Blocks written and not yet read.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// Bytes written to the file.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

fn header(count: usize, delta: bool, len: usize) -> io::Result<[u8; 9]> {
    let too_big = |what| io::Error::other(format!("a block's {what} does not fit in 32 bits"));
    let count = u32::try_from(count).map_err(|_| too_big("state count"))?;
    let len = u32::try_from(len).map_err(|_| too_big("length"))?;
    let mut h = [0; 9];
    h[..4].copy_from_slice(&count.to_le_bytes());
    h[4] = u8::from(delta);
    h[5..].copy_from_slice(&len.to_le_bytes());
    Ok(h)
}

fn read_block(r: &mut impl Read) -> io::Result<Block> {
    let mut h = [0; 9];
    r.read_exact(&mut h)?;
    let count = u32::from_le_bytes(h[..4].try_into().expect("4 bytes")) as usize;
    let len = u32::from_le_bytes(h[5..].try_into().expect("4 bytes")) as usize;
    let mut bytes = vec![0; len];
    r.read_exact(&mut bytes)?;
    Ok((bytes, count, h[4] != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_back_in_the_order_written() {
        let dir = std::env::temp_dir();
        let mut spill = Spill::new(&dir).unwrap();
        spill.write(b"abc", 3, true).unwrap();
        spill.write(b"", 0, false).unwrap();
        spill.write(&[7; 5000], 512, false).unwrap();
        assert_eq!(spill.blocks(), 3);
        assert_eq!(spill.bytes(), 3 * 9 + 3 + 5000);
        spill.rewind().unwrap();
        assert_eq!(spill.read().unwrap(), Some((b"abc".to_vec(), 3, true)));
        assert_eq!(spill.read().unwrap(), Some((Vec::new(), 0, false)));
        assert_eq!(spill.read().unwrap(), Some((vec![7; 5000], 512, false)));
        assert_eq!(spill.read().unwrap(), None);
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let mut spill = Spill::new(&std::env::temp_dir()).unwrap();
        spill.write(b"x", 1, false).unwrap();
        assert!(spill.read().is_err(), "read before rewind");
        spill.rewind().unwrap();
        assert!(spill.write(b"y", 1, false).is_err(), "write after rewind");
        assert!(spill.rewind().is_err(), "rewound twice");
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = std::env::temp_dir().join("synfin-no-such-dir/below");
        assert!(Spill::new(&dir).is_err());
    }
}
