//! `synfin list`: the names the other commands take.

use std::process::ExitCode;

use serde_json::json;
use synfin_model::properties::{self, Expectation};
use synfin_model::{Preset, Profile, Variant};

/// List properties, scenarios, variants, presets and profiles.
///
/// Safety properties must hold in every reachable state; scenarios must be
/// reached by some path (`synfin show` draws one); variants are broken
/// designs (`synfin explain` draws why); presets are world sizes and
/// profiles the RFC behaviour the endpoints follow. Each line gives the
/// name, what it means and the RFC section it comes from.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  synfin list
  synfin list --json | jq -r '.scenarios[].name'")]
pub struct Args {
    /// Print one JSON object (properties, scenarios, variants, presets,
    /// profiles; each a list of objects with a name) instead of text.
    #[arg(long)]
    json: bool,
}

/// Run `synfin list`.
pub fn run(args: Args) -> ExitCode {
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list_json()).expect("json")
        );
    } else {
        print!("{}", list_text());
    }
    ExitCode::SUCCESS
}
fn list_text() -> String {
    let mut out = String::from("Safety properties (always):\n");
    for p in properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Always)
    {
        out += &format!("  {:<24} {} [{}]\n", p.name, p.statement, p.reference);
        if let Some((profile, why)) = p.fails_under {
            out += &format!("  {:<24} claimed to fail under {profile}: {why}\n", "");
        }
    }
    out += "\nScenarios (sometimes):\n";
    for p in properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
    {
        out += &format!("  {:<24} {} [{}]\n", p.name, p.statement, p.reference);
        if let Some(needs) = p.needs {
            out += &format!("  {:<24} checked only with {}\n", "", needs.flag());
        }
    }
    out += "\nVariants (broken designs):\n";
    for v in Variant::ALL {
        out += &format!("  {:<24} {}; breaks {}\n", v.name(), v.about(), v.breaks());
    }
    out += "\nPresets:\n";
    for p in Preset::ALL {
        out += &format!("  {:<24} {}\n", p.name(), p.about());
    }
    out += "\nProfiles:\n";
    for p in Profile::ALL {
        out += &format!("  {:<24} {}\n", p.name(), p.about());
    }
    out
}

fn list_json() -> serde_json::Value {
    let props = |e: Expectation| {
        properties::ALL
            .iter()
            .filter(|p| p.expectation == e)
            .map(|p| {
                json!({
                    "name": p.name,
                    "statement": p.statement,
                    "reference": p.reference,
                    "fails_under": p.fails_under.map(|(profile, why)| json!({"profile": profile.name(), "why": why})),
                    "needs": p.needs.map(|n| n.flag()),
                })
            })
            .collect::<Vec<_>>()
    };
    json!({
        "properties": props(Expectation::Always),
        "scenarios": props(Expectation::Sometimes),
        "variants": Variant::ALL.iter().map(|v| json!({"name": v.name(), "change": v.about(), "breaks": v.breaks()})).collect::<Vec<_>>(),
        "presets": Preset::ALL.iter().map(|p| json!({"name": p.name(), "about": p.about()})).collect::<Vec<_>>(),
        "profiles": Profile::ALL.iter().map(|p| json!({"name": p.name(), "about": p.about()})).collect::<Vec<_>>(),
    })
}
