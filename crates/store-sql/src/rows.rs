//! Shared plumbing: time conversion, error mapping, a dynamic query builder and row accessors.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use time::OffsetDateTime;

use junkan_store::StoreError;

/// Microseconds since the epoch: the stored form of every time.
pub fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The time `value` microseconds after the epoch.
pub fn from_micros(value: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(value) * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Wraps a database error that the caller cannot act on.
pub fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// Maps a failed write: unique-constraint violations on one of `conflicts` (a column name, the
/// field's JSON pointer and a message) become [`StoreError::Conflict`]; anything else is
/// unavailability. Both engines name the column or index in the message, e.g. SQLite's
/// `UNIQUE constraint failed: organizations.corporate_number` and PostgreSQL's
/// `duplicate key value violates unique constraint "organizations_corporate_number"`.
pub fn write_error(error: sqlx::Error, conflicts: &[(&str, &str, &str)]) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error {
        if database_error.is_unique_violation() || database_error.message().contains("UNIQUE constraint failed") {
            let message = database_error.message();
            if let Some((_, path, text)) = conflicts.iter().find(|(column, _, _)| message.contains(column)) {
                return StoreError::Conflict {
                    message: (*text).to_owned(),
                    path: (*path).to_owned(),
                };
            }
            return StoreError::Conflict {
                message: "a record with the same key exists".to_owned(),
                path: String::new(),
            };
        }
    }
    unavailable(error)
}

/// A bind parameter of a dynamically built query.
#[derive(Debug, Clone)]
pub enum Param {
    /// Text.
    Text(String),
    /// Nullable text.
    OptText(Option<String>),
    /// Integer.
    Int(i64),
    /// Bytes (BLOB on SQLite, BYTEA on PostgreSQL).
    Bytes(Vec<u8>),
}

/// A query built piece by piece, numbering its `$n` placeholders.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    /// The SQL text so far.
    pub text: String,
    params: Vec<Param>,
}

impl Sql {
    /// Starts with `text`, which may use `$1`..`$k` for the first `k` params given.
    pub fn new(text: &str, params: Vec<Param>) -> Sql {
        Sql {
            text: text.to_owned(),
            params,
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }

    /// Appends `text` with every `?` replaced by the placeholder of the next parameter.
    pub fn push_with(&mut self, text: &str, params: Vec<Param>) -> &mut Sql {
        let mut params = params.into_iter();
        for (index, piece) in text.split('?').enumerate() {
            if index > 0 {
                let placeholder = self.param(params.next().expect("one parameter per '?' in push_with"));
                self.text.push_str(&placeholder);
            }
            self.text.push_str(piece);
        }
        self
    }

    /// Appends `(p1, p2, ...)`, one placeholder per value, for an `IN` list (`values` must not be
    /// empty).
    pub fn push_list(&mut self, values: impl IntoIterator<Item = Param>) -> &mut Sql {
        let placeholders: Vec<String> = values.into_iter().map(|value| self.param(value)).collect();
        self.text.push('(');
        self.text.push_str(&placeholders.join(", "));
        self.text.push(')');
        self
    }

    /// The query with every parameter bound.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.params
            .iter()
            .fold(sqlx::query(&self.text), |query, param| match param {
                Param::Text(value) => query.bind(value.clone()),
                Param::OptText(value) => query.bind(value.clone()),
                Param::Int(value) => query.bind(*value),
                Param::Bytes(value) => query.bind(value.clone()),
            })
    }
}

/// Reads a text column.
pub fn text(row: &AnyRow, column: &str) -> Result<String, StoreError> {
    row.try_get::<String, _>(column).map_err(unavailable)
}

/// Reads a nullable text column.
pub fn opt_text(row: &AnyRow, column: &str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(column).map_err(unavailable)
}

/// Reads a time column.
pub fn time(row: &AnyRow, column: &str) -> Result<OffsetDateTime, StoreError> {
    row.try_get::<i64, _>(column).map(from_micros).map_err(unavailable)
}

/// Reads a nullable time column.
pub fn opt_time(row: &AnyRow, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    row.try_get::<Option<i64>, _>(column)
        .map(|value| value.map(from_micros))
        .map_err(unavailable)
}

/// Reads an integer column.
pub fn int(row: &AnyRow, column: &str) -> Result<i64, StoreError> {
    row.try_get::<i64, _>(column).map_err(unavailable)
}

/// Reads a nullable integer column.
pub fn opt_int(row: &AnyRow, column: &str) -> Result<Option<i64>, StoreError> {
    row.try_get::<Option<i64>, _>(column).map_err(unavailable)
}

/// Parses a stored value with `parse`, reporting corrupt data as unavailability.
pub fn parsed<T, E: std::fmt::Display>(
    value: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(value)
        .map_err(|error| StoreError::Unavailable(format!("stored {what} {value:?} is unreadable: {error}").into()))
}

/// Parses a stored serde enum value (e.g. `"sme"`).
pub fn enum_value<T: serde::de::DeserializeOwned>(value: &str, what: &str) -> Result<T, StoreError> {
    parsed(value, what, |text| {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
    })
}

/// `text` with the LIKE wildcards escaped (for `ESCAPE '\\'`), so that it matches literally.
pub fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
