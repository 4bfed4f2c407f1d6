//! What a module tells the modules that include it, through its callback macro: its keys (its
//! own and its includes', flattened), their bindings, and its requirements. Encoded as one
//! string literal of tab-separated lines; the types themselves are reached through the
//! included module's hidden aliases (`Inc::__K3`), never spelled out.

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Identifies the module across include paths (`file:line:column:Name`).
    pub(crate) id: String,
    pub(crate) name: String,
    /// False when the module's keys are not all known (it includes a module value at run time).
    pub(crate) checked: bool,
    pub(crate) keys: Vec<MetaKey>,
    pub(crate) requires: Vec<MetaRequire>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetaKey {
    /// The key as written (`String @ "db-url"`, `Set<dyn Handler>`), to merge bindings of one key
    /// from several modules.
    pub(crate) spelling: String,
    pub(crate) set: bool,
    pub(crate) named: bool,
    pub(crate) bindings: Vec<MetaBinding>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetaBinding {
    pub(crate) tagged: bool,
    /// The module that wrote the binding and its number there: one binding reached through two
    /// includes is counted once.
    pub(crate) source: (String, usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetaRequire {
    pub(crate) spelling: String,
}

fn clean(s: &str) -> String {
    s.replace(['\t', '\n'], " ")
}

impl Meta {
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "module\t{}\t{}\t{}",
            clean(&self.id),
            clean(&self.name),
            u8::from(self.checked)
        );
        for (k, key) in self.keys.iter().enumerate() {
            let _ = writeln!(
                out,
                "key\t{k}\t{}\t{}\t{}",
                u8::from(key.set),
                u8::from(key.named),
                clean(&key.spelling)
            );
            for (b, binding) in key.bindings.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "binding\t{k}\t{b}\t{}\t{}\t{}",
                    u8::from(binding.tagged),
                    clean(&binding.source.0),
                    binding.source.1
                );
            }
        }
        for (r, require) in self.requires.iter().enumerate() {
            let _ = writeln!(out, "require\t{r}\t{}", clean(&require.spelling));
        }
        out
    }

    pub(crate) fn decode(text: &str) -> Result<Meta, String> {
        let mut meta = Meta {
            id: String::new(),
            name: String::new(),
            checked: true,
            keys: Vec::new(),
            requires: Vec::new(),
        };
        let bad = |line: &str| {
            format!("distage: malformed include metadata line `{line}` (mixed distage versions?)")
        };
        for line in text.lines().filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["module", id, name, checked] => {
                    meta.id = id.to_string();
                    meta.name = name.to_string();
                    meta.checked = *checked == "1";
                }
                ["key", _, set, named, spelling] => meta.keys.push(MetaKey {
                    spelling: spelling.to_string(),
                    set: *set == "1",
                    named: *named == "1",
                    bindings: Vec::new(),
                }),
                ["binding", k, _, tagged, module, ordinal] => {
                    let k: usize = k.parse().map_err(|_| bad(line))?;
                    let ordinal: usize = ordinal.parse().map_err(|_| bad(line))?;
                    let key = meta.keys.get_mut(k).ok_or_else(|| bad(line))?;
                    key.bindings.push(MetaBinding {
                        tagged: *tagged == "1",
                        source: (module.to_string(), ordinal),
                    });
                }
                ["require", _, spelling] => meta.requires.push(MetaRequire {
                    spelling: spelling.to_string(),
                }),
                _ => return Err(bad(line)),
            }
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let meta = Meta {
            id: "src/lib.rs:3:1:Core".into(),
            name: "Core".into(),
            checked: true,
            keys: vec![MetaKey {
                spelling: "String @ \"db\"".into(),
                set: false,
                named: true,
                bindings: vec![MetaBinding {
                    tagged: true,
                    source: ("src/lib.rs:3:1:Core".into(), 0),
                }],
            }],
            requires: vec![MetaRequire {
                spelling: "Config".into(),
            }],
        };
        assert_eq!(Meta::decode(&meta.encode()), Ok(meta));
        assert!(Meta::decode("nonsense").is_err());
    }
}
