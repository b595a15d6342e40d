//! Where each setting's value comes from: `PIPHONE_…` in the environment, else the settings file, else Twilio's
//! usual variable (see [`super::names`]), else the default, with one rule for every name: surrounding whitespace
//! is dropped and an empty value (`VAR=""`, `key = ""`, `key = []`) counts as not set.

use std::collections::BTreeMap;
use std::fmt;

use super::names::{self, Name};

/// Which source supplied a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Nothing set it: piphone's default.
    Default,
    /// The settings file.
    File,
    /// This environment variable (`PIPHONE_…` or Twilio's name).
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File => f.write_str("settings file"),
            Origin::Env(name) => f.write_str(name),
        }
    }
}

/// The source of each setting that was read, by its `PIPHONE_…` name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(BTreeMap<&'static str, Origin>);

impl Origins {
    /// Where the setting `env_name` came from ([`Origin::Default`] when nothing set it).
    pub fn of(&self, env_name: &str) -> Origin {
        self.0.get(env_name).copied().unwrap_or(Origin::Default)
    }
}

/// The one rule for a raw value: trimmed, and empty means absent.
pub fn present(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A setting from the process environment under the same rule (for `PIPHONE_LOG`, read before the settings).
pub fn from_process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().as_deref().and_then(present)
}

/// A file value as text: strings as written, numbers and booleans as TOML prints them, arrays joined by commas.
fn file_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(file_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The environment and the settings file, read through the one rule; remembers what supplied each value.
pub(crate) struct Sources<'a> {
    env: &'a BTreeMap<String, String>,
    file: toml::Table,
    origins: Origins,
}

impl<'a> Sources<'a> {
    pub fn new(env: &'a BTreeMap<String, String>) -> Self {
        Sources {
            env,
            file: toml::Table::new(),
            origins: Origins::default(),
        }
    }

    pub fn set_file(&mut self, file: toml::Table) {
        self.file = file;
    }

    /// The value of the setting `env_name` (a name of [`names::KNOWN`]), trimmed; `None` when no source sets it.
    pub fn get(&mut self, env_name: &'static str) -> Option<String> {
        let name: &Name = names::by_env(env_name).expect("a known setting name");
        let from_env = |var: &'static str| {
            let value = present(self.env.get(var)?)?;
            Some((value, Origin::Env(var)))
        };
        let found = from_env(name.env)
            .or_else(|| {
                let value = present(&file_text(self.file.get(name.file_key?)?))?;
                Some((value, Origin::File))
            })
            .or_else(|| from_env(name.twilio?));
        let (value, origin) = found.map_or((None, Origin::Default), |(v, o)| (Some(v), o));
        self.origins.0.insert(name.env, origin);
        value
    }

    /// Where the setting `env_name` came from, once it was read.
    pub fn origin(&self, env_name: &str) -> Origin {
        self.origins.of(env_name)
    }

    /// The environment variables and file keys that name no setting.
    pub fn unknown(&self) -> (Vec<&str>, Vec<&str>) {
        let env = self
            .env
            .keys()
            .filter(|k| names::by_env(k).is_none() && !k.starts_with("PIPHONE_TEST"))
            .map(String::as_str)
            .collect();
        let file = self
            .file
            .keys()
            .filter(|k| names::by_file_key(k).is_none())
            .map(String::as_str)
            .collect();
        (env, file)
    }

    pub fn into_origins(self) -> Origins {
        self.origins
    }
}
