//! Typed config: `<app>.toml` (if present) under `-c` files under environment variables
//! (`APP_HTTP__PORT=8081`), read with figment; sections deserialized with serde and bound with
//! `config<HttpConfig>("http");` in `module!`.

use std::fmt;
use std::path::{Path, PathBuf};

use distage_core::DIKey;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::de::DeserializeOwned;

/// The application's configuration: every source merged, read section by section.
#[derive(Clone, Debug)]
pub struct AppConfig {
    figment: Figment,
    files: Vec<PathBuf>,
    env_prefix: String,
}

impl AppConfig {
    /// Reads `<app>.toml` from the working directory if it exists, then each of `files` (which
    /// must exist), then the environment variables prefixed `<APP>_` (`-` becomes `_`), each
    /// overriding the ones before; `__` separates nesting levels: `APP_HTTP__PORT` is
    /// `http.port`.
    pub fn load(app: &str, files: &[PathBuf]) -> Result<Self, ConfigError> {
        let default = PathBuf::from(format!("{app}.toml"));
        let mut figment = Figment::new();
        let mut loaded = Vec::new();
        if default.is_file() {
            figment = figment.merge(Toml::file_exact(&default));
            loaded.push(default);
        }
        for file in files {
            if !file.is_file() {
                return Err(ConfigError::new(
                    None,
                    format!("config file `{}` does not exist", file.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(file));
            loaded.push(file.clone());
        }
        let env_prefix = format!("{}_", app.to_uppercase().replace('-', "_"));
        figment = figment.merge(Env::prefixed(&env_prefix).split("__"));
        let config = AppConfig {
            figment,
            files: loaded,
            env_prefix,
        };
        // A file that does not parse is reported now, not when a section is first read.
        if let Err(e) = config.figment.extract::<figment::value::Value>() {
            let source = match e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(file)) => format!("`{}`", file.display()),
                _ => "the configuration".to_string(),
            };
            return Err(ConfigError::new(
                None,
                format!("cannot read {source}: {}", e.kind.to_string().trim_end()),
            ));
        }
        Ok(config)
    }

    /// A configuration from TOML text and no environment (for tests).
    pub fn from_toml(text: &str) -> Self {
        AppConfig {
            figment: Figment::new().merge(Toml::string(text)),
            files: Vec::new(),
            env_prefix: String::new(),
        }
    }

    /// The files read, in the order they were merged.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Deserializes the section at `path` (`"http"`, `"db.pool"`) as `T`. A missing section or
    /// key, or a value of the wrong type, is an error naming its path, the type expected and
    /// where the value came from.
    pub fn section<T: DeserializeOwned>(&self, path: &str) -> Result<T, ConfigError> {
        let type_name = distage_core::short_type_name(std::any::type_name::<T>());
        if !self.figment.contains(path) {
            return Err(ConfigError::new(
                Some(path.to_string()),
                format!(
                    "missing config section `{path}` (read as `{type_name}`): set it in {}",
                    self.where_to_set(path)
                ),
            ));
        }
        self.figment
            .focus(path)
            .extract::<T>()
            .map_err(|e| self.describe(e, path, &format!("`{type_name}`")))
    }

    fn where_to_set(&self, path: &str) -> String {
        let mut places: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("`{}`", f.display()))
            .collect();
        if places.is_empty() {
            places.push("a `-c` file".to_string());
        }
        if !self.env_prefix.is_empty() {
            places.push(format!(
                "`{}{}__…`",
                self.env_prefix,
                path.to_uppercase().replace('.', "__")
            ));
        }
        places.join(" or ")
    }

    /// The first figment error as a message naming the full path and its source.
    fn describe(&self, error: figment::Error, section: &str, what: &str) -> ConfigError {
        let mut path: Vec<String> = Vec::new();
        if !section.is_empty() {
            path.extend(section.split('.').map(str::to_string));
        }
        // figment's path is relative to the section focused on.
        path.extend(error.path.iter().cloned());
        let missing = match &error.kind {
            figment::error::Kind::MissingField(field) => {
                path.push(field.to_string());
                true
            }
            _ => false,
        };
        let dotted = path.join(".");
        let source = if missing {
            format!("set it in {}", self.where_to_set(&dotted))
        } else {
            match &error.metadata {
                Some(meta) => match &meta.source {
                    Some(figment::Source::File(file)) => match find_line(file, &path) {
                        Some(line) => format!("in {}:{line}", file.display()),
                        None => format!("in {}", file.display()),
                    },
                    _ if meta.name.contains("environment") => {
                        format!("in the environment variable `{}`", self.env_var(&path))
                    }
                    _ => format!("in {}", meta.name),
                },
                None => "in the configuration".to_string(),
            }
        };
        let kind = match &error.kind {
            figment::error::Kind::MissingField(_) => "missing key".to_string(),
            other => other.to_string(),
        };
        let at = if dotted.is_empty() {
            String::new()
        } else {
            format!(" at `{dotted}`")
        };
        ConfigError::new(
            (!dotted.is_empty()).then_some(dotted),
            format!("config error{at}: {kind} (reading {what}), {source}"),
        )
    }

    fn env_var(&self, path: &[String]) -> String {
        format!(
            "{}{}",
            self.env_prefix,
            path.iter()
                .map(|p| p.to_uppercase())
                .collect::<Vec<_>>()
                .join("__")
        )
    }
}

/// The 1-based line of the key at `path` in the TOML file, found by reading it line by line
/// (tables `[a.b]` and keys `c = …`, dotted or not); `None` when it cannot be told.
fn find_line(file: &Path, path: &[String]) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut table: Vec<String> = Vec::new();
    let split = |s: &str| -> Vec<String> {
        s.split('.')
            .map(|p| p.trim().trim_matches('"').to_string())
            .collect()
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with("[[") {
            table = Vec::new();
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = split(header);
            if table == path {
                return Some(i + 1);
            }
            continue;
        }
        if let Some((key, _)) = line.split_once('=') {
            let mut full = table.clone();
            full.extend(split(key));
            if full == path {
                return Some(i + 1);
            }
        }
    }
    None
}

/// A configuration problem: what is wrong, at which path, and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    path: Option<String>,
    message: String,
}

impl ConfigError {
    fn new(path: Option<String>, message: String) -> Self {
        ConfigError { path, message }
    }

    /// The dotted path of the key or section (`http.port`), when there is one.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A config section a module binds: `config<T>("path");` in `module!` adds one (as an element
/// of a set the launcher reads), so the launcher can check every section a plan needs before
/// producing anything.
#[derive(Clone)]
pub struct ConfigSection {
    path: &'static str,
    key: DIKey,
    type_name: &'static str,
    check: fn(&AppConfig, &str) -> Result<(), ConfigError>,
}

impl ConfigSection {
    /// The section at `path`, deserialized as `T`.
    pub fn of<T: DeserializeOwned + Send + Sync + 'static>(path: &'static str) -> Self {
        ConfigSection {
            path,
            key: DIKey::of::<T>(),
            type_name: std::any::type_name::<T>(),
            check: |config, path| config.section::<T>(path).map(drop),
        }
    }

    /// The dotted path of the section.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The key the section is bound to.
    pub fn key(&self) -> &DIKey {
        &self.key
    }

    /// Deserializes the section from `config`, keeping only whether that worked.
    pub fn check(&self, config: &AppConfig) -> Result<(), ConfigError> {
        (self.check)(config, self.path)
    }
}

impl fmt::Debug for ConfigSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSection")
            .field("path", &self.path)
            .field("type", &self.type_name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Http {
        host: String,
        port: u16,
    }

    #[test]
    fn a_section_is_read_with_its_type() {
        let config = AppConfig::from_toml("[http]\nhost = \"localhost\"\nport = 8080\n");
        let http: Http = config.section("http").unwrap();
        assert_eq!(
            http,
            Http {
                host: "localhost".into(),
                port: 8080
            }
        );
    }

    #[test]
    fn mistakes_name_the_path_and_the_type() {
        let config = AppConfig::from_toml("[http]\nhost = \"localhost\"\nport = \"eighty\"\n");
        let e = config.section::<Http>("http").unwrap_err();
        assert_eq!(e.path(), Some("http.port"), "{e}");
        assert!(e.to_string().contains("expected u16"), "{e}");

        let config = AppConfig::from_toml("[http]\nhost = \"localhost\"\n");
        let e = config.section::<Http>("http").unwrap_err();
        assert_eq!(e.path(), Some("http.port"), "{e}");
        assert!(e.to_string().contains("missing key"), "{e}");

        let e = config.section::<Http>("db").unwrap_err();
        assert_eq!(e.path(), Some("db"), "{e}");
        assert!(
            e.to_string()
                .contains("missing config section `db` (read as `Http`)"),
            "{e}"
        );
    }

    #[test]
    fn lines_are_found_in_tables_and_dotted_keys() {
        let dir = std::env::temp_dir().join(format!("distage-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("app.toml");
        std::fs::write(
            &file,
            "# top\n[http]\nhost = \"h\"\n\nport = 1\n[db]\npool.size = 3\n",
        )
        .unwrap();
        let path = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(find_line(&file, &path("http.port")), Some(5));
        assert_eq!(find_line(&file, &path("http")), Some(2));
        assert_eq!(find_line(&file, &path("db.pool.size")), Some(7));
        assert_eq!(find_line(&file, &path("db.nope")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
