//! [`Write`]: a call-log statement with its values, and how consecutive rows of one shape become one statement.

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, SqliteConnection};

/// A write for the writer, built like `sqlx::query(..).bind(..)`. Its values are kept, so that it can be run
/// again on its own if its batch fails, and so that consecutive [`Write::row`]s of the same shape are sent as one
/// multi-row statement (one round trip to the connection's thread instead of one each).
#[derive(Debug)]
pub(crate) struct Write {
    pub(super) sql: Sql,
    values: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sql {
    Statement(&'static str),
    /// `INSERT INTO t (a, b) ` + `VALUES (?, ?)` + tail (e.g. an `ON CONFLICT` clause, or empty).
    Row {
        head: &'static str,
        tail: &'static str,
    },
}

/// A value bound to a [`Write`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl Write {
    /// One statement with `?` placeholders.
    pub(crate) fn new(sql: &'static str) -> Write {
        Write {
            sql: Sql::Statement(sql),
            values: Vec::new(),
        }
    }

    /// One row for `head` (`INSERT INTO t (a, b) `), followed by `tail` (e.g. `ON CONFLICT … DO UPDATE …`);
    /// bind one value per column.
    pub(crate) fn row(head: &'static str, tail: &'static str) -> Write {
        Write {
            sql: Sql::Row { head, tail },
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Write {
        self.values.push(value.into());
        self
    }
}

/// Runs `writes` (all the same [`Sql`]; several only for rows) as one statement; returns the rows changed.
pub(super) async fn execute(
    conn: &mut SqliteConnection,
    writes: &[&Write],
) -> Result<u64, sqlx::Error> {
    let done = match writes[0].sql {
        Sql::Statement(sql) => {
            let mut args = SqliteArguments::default();
            for value in writes.iter().flat_map(|w| &w.values) {
                let added = match value {
                    Value::Null => args.add(None::<i64>),
                    Value::Int(v) => args.add(*v),
                    Value::Text(v) => args.add(v.as_str()),
                };
                added.map_err(sqlx::Error::Encode)?;
            }
            sqlx::query_with(sql, args).execute(conn).await?
        }
        Sql::Row { head, tail } => {
            let columns = writes[0].values.len();
            if writes.iter().any(|w| w.values.len() != columns) {
                return Err(sqlx::Error::Protocol(
                    "rows of one statement must have the same columns".into(),
                ));
            }
            let rows = serde_json::Value::Array(
                writes
                    .iter()
                    .map(|w| w.values.iter().map(Value::to_json).collect())
                    .collect(),
            );
            sqlx::query(AssertSqlSafe(rows_sql(head, columns, tail)))
                .bind(rows.to_string())
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// `head` + a `SELECT` of `columns` values from each element of a JSON array of rows, in array order, + `tail`.
/// (`WHERE true` keeps an `ON CONFLICT` tail from being read as a join constraint.)
fn rows_sql(head: &str, columns: usize, tail: &str) -> String {
    let values: Vec<String> = (0..columns).map(|i| format!("value->>{i}")).collect();
    format!(
        "{head} SELECT {} FROM json_each(?) WHERE true ORDER BY key {tail}",
        values.join(", ")
    )
}

impl Value {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(v) => (*v).into(),
            Value::Text(v) => v.as_str().into(),
        }
    }
}
