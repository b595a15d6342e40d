//! Each user's chosen microphone and speaker (`GET/PUT /api/me/audio`), so the kiosk and a desktop browser each
//! keep their own.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, now_unix};

/// One device as the browser reports it. Either part may be empty; the page matches the id first, then the label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioDevice {
    pub id: String,
    pub label: String,
}

/// A user's choice; `None` means the browser's default device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioPrefs {
    pub input: Option<AudioDevice>,
    pub output: Option<AudioDevice>,
}

type Row = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn device(id: Option<String>, label: Option<String>) -> Option<AudioDevice> {
    (id.is_some() || label.is_some()).then(|| AudioDevice {
        id: id.unwrap_or_default(),
        label: label.unwrap_or_default(),
    })
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn parts(d: &Option<AudioDevice>) -> (Option<&str>, Option<&str>) {
    match d {
        Some(d) => (non_empty(&d.id), non_empty(&d.label)),
        None => (None, None),
    }
}

impl Store {
    pub async fn audio_prefs(&self, user_id: i64) -> Result<AudioPrefs, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT input_id, input_label, output_id, output_label FROM audio_prefs WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|(in_id, in_label, out_id, out_label)| AudioPrefs {
                input: device(in_id, in_label),
                output: device(out_id, out_label),
            })
            .unwrap_or_default())
    }

    pub async fn set_audio_prefs(
        &self,
        user_id: i64,
        prefs: &AudioPrefs,
    ) -> Result<(), StoreError> {
        let (in_id, in_label) = parts(&prefs.input);
        let (out_id, out_label) = parts(&prefs.output);
        sqlx::query(
            "INSERT INTO audio_prefs (user_id, input_id, input_label, output_id, output_label, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET input_id = excluded.input_id, \
             input_label = excluded.input_label, output_id = excluded.output_id, \
             output_label = excluded.output_label, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(in_id)
        .bind(in_label)
        .bind(out_id)
        .bind(out_label)
        .bind(now_unix())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
