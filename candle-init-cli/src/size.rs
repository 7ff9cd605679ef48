//! Sizes as transformers' `max_shard_size` writes them: `5GB` (10^9 bytes), `2GiB` (2^30),
//! `500MB`, `100KB`, or a number of bytes.

/// The bytes `text` names.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. `5GB`, `500MB`, `2GiB`)"))?;
    let scale: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ))
        }
    };
    let bytes = (number * scale).round();
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a size of at least one byte"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn sizes_read_as_transformers_writes_them() {
        assert_eq!(parse("5GB"), Ok(5_000_000_000));
        assert_eq!(parse("2GiB"), Ok(2 << 30));
        assert_eq!(parse("500mb"), Ok(500_000_000));
        assert_eq!(parse("0.5GB"), Ok(500_000_000));
        assert_eq!(parse("4096"), Ok(4096));
        assert!(parse("5XB").unwrap_err().contains("unknown unit"));
        assert!(parse("GB").is_err());
        assert!(parse("0").is_err());
    }
}
