//! How much memory the process uses and may use, read from `/proc`, and
//! sizes as people write them (`8G`, `512M`).

/// A field of `/proc/self/status` or `/proc/meminfo` given in kB, in bytes.
fn proc_kb(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resident memory of this process now (`VmRSS`), or `None` off Linux.
pub fn rss() -> Option<u64> {
    proc_kb("/proc/self/status", "VmRSS:")
}

/// The most resident memory this process has had (`VmHWM`).
pub fn peak_rss() -> Option<u64> {
    proc_kb("/proc/self/status", "VmHWM:")
}

/// Memory the kernel could give without swapping (`MemAvailable`).
pub fn available() -> Option<u64> {
    proc_kb("/proc/meminfo", "MemAvailable:")
}

/// The limit a check keeps to when the user gives none: 90% of what this
/// process has plus what the machine has available when it starts.
pub fn default_limit() -> Option<u64> {
    let have = rss().unwrap_or(0) + available()?;
    Some(have / 10 * 9)
}

/// Ask Linux to back the 2 MiB-aligned part of `len` bytes at `ptr` with
/// transparent huge pages when they are first touched (`MADV_HUGEPAGE`;
/// the machine's `transparent_hugepage` setting is usually `madvise`). A
/// table looked up at random addresses then costs one TLB entry per 2 MiB
/// instead of per 4 KiB, and its lookups stop waiting on page walks.
/// Only a hint: nothing changes where the kernel declines it.
pub fn advise_huge_pages(ptr: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize).saturating_add(len) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside the caller's allocation and is
            // page-aligned; MADV_HUGEPAGE changes no memory contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len);
}

/// Parse a size: a number with an optional binary unit, `K`, `M`, `G` or
/// `T` (also `KB`, `KiB` and so on; any case), e.g. `8G`, `1.5G`, `512M`,
/// or plain bytes. Units are powers of 1024.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "`{s}`: expected a size such as 8G, 512M or 1.5G (units K, M, G, T)"
            ))
        }
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}`: expected a number before the unit, such as 8G"))?;
    let bytes = n * (1u64 << shift) as f64;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("`{s}`: must be between 1 byte and 16 EiB"));
    }
    Ok(bytes as u64)
}

/// A byte count for people: `1.25 GiB`, `87.3 MiB`.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        let u = (1u64 << shift) as f64;
        if b >= u {
            return format!("{:.2} {unit}", b / u);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_people_write_them() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["foo", "", "G", "8X", "-1G", "0", "1.2.3G"] {
            assert!(parse_size(bad).is_err(), "{bad} parsed");
        }
        assert_eq!(human(3 << 29), "1.50 GiB");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_resident_size_and_the_machine_some_memory() {
        assert!(rss().expect("VmRSS") > 0);
        // Not `peak >= rss`: the kernel updates VmHWM lazily, so right
        // after other threads allocate it can lag behind VmRSS (seen in CI).
        assert!(peak_rss().expect("VmHWM") > 0);
        assert!(default_limit().expect("MemAvailable") > 0);
    }
}
