//! Multi-row statements for the capture hot path: placeholders in the form each engine binds
//! cheaply, and values borrowed from the caller instead of copied.
//!
//! SQLite treats `$n` as a *named* parameter; sqlx then looks every parameter's name up by its
//! index, and SQLite answers each look-up by scanning its list of names, so binding a statement
//! of `n` numbered parameters costs `n²`. With 1,500 parameters per insert this was a fifth of
//! all capture time. Anonymous `?` placeholders have no names and bind in order; PostgreSQL only
//! knows `$n`, where numbering costs nothing.

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, AnyConnection, Arguments, Encode, Type};

use junkan_store::Backend;

/// A statement under construction whose parameters are bound as they are added.
pub struct Bulk<'q> {
    backend: Backend,
    text: String,
    arguments: AnyArguments<'q>,
    count: usize,
    persistent: bool,
}

impl<'q> Bulk<'q> {
    /// Starts a statement with `text`.
    pub fn new(backend: Backend, text: &str) -> Bulk<'q> {
        Bulk {
            backend,
            text: text.to_owned(),
            arguments: AnyArguments::default(),
            count: 0,
            persistent: true,
        }
    }

    /// Marks a look-up whose best plan depends on its values and on the table's size: PostgreSQL
    /// then plans it for the values bound each time, instead of settling on a generic plan made
    /// while the table was small (a sequential scan that stayed when the table had grown). On
    /// SQLite, whose planner does not look at bound values, the statement stays cached.
    pub fn planned_each_time(&mut self) -> &mut Self {
        self.persistent = self.backend == Backend::Sqlite;
        self
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds `value` and appends its placeholder.
    pub fn param<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.count += 1;
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.count.to_string());
            }
        }
        self.arguments
            .add(value)
            .expect("text and integers, with or without NULL, always encode for the Any driver");
        self
    }

    /// Runs the statement and returns its rows.
    pub async fn fetch_all(self, connection: &mut AnyConnection) -> Result<Vec<AnyRow>, sqlx::Error> {
        let Bulk {
            text,
            arguments,
            persistent,
            ..
        } = self;
        sqlx::query_with(&text, arguments)
            .persistent(persistent)
            .fetch_all(connection)
            .await
    }

    /// Runs the statement.
    pub async fn execute(self, connection: &mut AnyConnection) -> Result<AnyQueryResult, sqlx::Error> {
        let Bulk {
            text,
            arguments,
            persistent,
            ..
        } = self;
        sqlx::query_with(&text, arguments)
            .persistent(persistent)
            .execute(connection)
            .await
    }
}
