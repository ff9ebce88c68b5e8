//! Reading traces and manifests, refusing malformed ones by file and field;
//! writing them as the model does.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Cover, Trace, COVER_FORMAT, FORMAT};

/// Bad input: which file, which field, what is wrong.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// The version first: a file of another format is named as such rather
/// than as a list of fields this reader does not know.
fn check_format(path: &Path, v: &serde_json::Value, want: &str) -> Result<(), BadInput> {
    match v.get("format") {
        None => Err(BadInput(format!(
            "{}: field `format` is missing (expected \"{want}\")",
            path.display()
        ))),
        Some(serde_json::Value::String(s)) if s == want => Ok(()),
        Some(other) => Err(BadInput(format!(
            "{}: field `format` is {other}, this reader understands only \"{want}\"",
            path.display()
        ))),
    }
}

/// Parses `text` as a `T`, naming the field that is wrong: the error's
/// path (`steps[3].B.state`) comes from serde_path_to_error.
fn typed<T: DeserializeOwned>(path: &Path, text: &str, format: &str) -> Result<T, BadInput> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| BadInput(format!("{}: not JSON: {e}", path.display())))?;
    check_format(path, &v, format)?;
    serde_path_to_error::deserialize(v).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { "(top level)" } else { &field };
        BadInput(format!(
            "{}: field `{field}`: {}",
            path.display(),
            e.inner()
        ))
    })
}

/// Parses a trace: the version first, then every field into its type.
pub fn parse_trace(path: &Path, text: &str) -> Result<Trace, BadInput> {
    let t: Trace = typed(path, text, FORMAT)?;
    if t.config.tick_seconds == 0 {
        return Err(BadInput(format!(
            "{}: field `config.tick_seconds`: must be positive",
            path.display()
        )));
    }
    Ok(t)
}

/// Parses a cover manifest.
pub fn parse_cover(path: &Path, text: &str) -> Result<Cover, BadInput> {
    typed(path, text, COVER_FORMAT)
}

/// A trace or manifest as the model writes it (`synfin export`): JSON
/// pretty-printed by serde_json, then a newline.
pub fn to_json(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("traces and manifests serialise");
    s.push('\n');
    s
}
