//! Multi-row statements: a whole database's tables written in a few statements rather
//! than a round trip each (each is a hop to SQLite's worker thread or to the PostgreSQL
//! server — tens of thousands of them for a 10,000-table source).

/// Rows one statement writes or names at most: up to 1,000 values (a lineage row has 10),
/// far below either driver's limit on bind parameters (SQLite 32,766, PostgreSQL 65,535).
pub(crate) const ROWS: usize = 100;

/// Bytes of values one statement carries at most (a larger row goes alone). sqlx leaves
/// Nagle's algorithm on, so a statement a little over one TCP segment (64 kB on the
/// loopback) to a PostgreSQL store waits ~40 ms for the server's delayed ACK: a
/// 10,000-table refresh took 6 s that way instead of 1.
pub(crate) const BYTES: usize = 16 * 1024;

/// `rows` cut into runs of at most [`ROWS`] rows and about [`BYTES`] bytes, `size`
/// estimating a row's.
pub(crate) fn chunks<T>(rows: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let row_bytes = size(row);
        if i > start && (bytes + row_bytes > BYTES || i - start == ROWS) {
            out.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += row_bytes;
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

/// What a text value adds to a statement: its bytes and a length word.
pub(crate) fn text(value: &str) -> usize {
    value.len() + 4
}

/// How a driver writes a statement's n-th bind parameter (from 1).
pub(crate) trait Placeholder: sqlx::Database {
    fn write(out: &mut String, n: usize);
}

impl Placeholder for sqlx::Postgres {
    fn write(out: &mut String, n: usize) {
        out.push('$');
        out.push_str(&n.to_string());
    }
}

/// SQLite finds a named parameter (`$3`) by scanning the statement's list of names, so
/// binding thousands of them is quadratic; `?` parameters are bound by position.
impl Placeholder for sqlx::Sqlite {
    fn write(out: &mut String, _: usize) {
        out.push('?');
    }
}

/// `(p1, p2, …), (pn+1, …), …`: `rows` tuples of `width` bind parameters, written as the
/// driver of `tx` reads them.
pub(crate) fn values<DB: Placeholder>(_tx: &sqlx::Transaction<'_, DB>, rows: usize, width: usize) -> String {
    tuples::<DB>(rows, width)
}

fn tuples<DB: Placeholder>(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..width {
            if column > 0 {
                out.push_str(", ");
            }
            DB::write(&mut out, row * width + column + 1);
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{BYTES, ROWS, chunks, tuples};

    #[test]
    fn chunks_hold_a_bounded_count_and_size() {
        let small = vec![10usize; 250];
        let cut = chunks(&small, |n| *n);
        assert_eq!(cut.iter().map(|c| c.len()).collect::<Vec<_>>(), [ROWS, ROWS, 50]);
        let large = vec![BYTES / 3 + 1; 7];
        let cut = chunks(&large, |n| *n);
        assert_eq!(cut.iter().map(|c| c.len()).collect::<Vec<_>>(), [2, 2, 2, 1]);
        // a row larger than the budget goes alone, and nothing is lost or repeated
        let mixed = [1, BYTES * 4, 1, 1];
        let cut = chunks(&mixed, |n| *n);
        assert_eq!(cut, [&[1][..], &[BYTES * 4][..], &[1, 1][..]]);
        assert!(chunks(&[] as &[usize], |n| *n).is_empty());
    }

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(tuples::<sqlx::Postgres>(1, 1), "($1)");
        assert_eq!(tuples::<sqlx::Postgres>(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(tuples::<sqlx::Sqlite>(2, 2), "(?, ?), (?, ?)");
        assert_eq!(tuples::<sqlx::Postgres>(0, 3), "");
    }
}
