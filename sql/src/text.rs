//! Mapping sqlparser locations (line, column in characters) to byte offsets.

use datafusion_sql::sqlparser::tokenizer::Location;

/// Byte offsets of line starts in a text.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The byte offset of `loc`, or the end of the text when it is past it.
    pub fn offset(&self, loc: Location) -> usize {
        if loc.line == 0 {
            return self.text.len();
        }
        let Some(&start) = self.starts.get(loc.line as usize - 1) else {
            return self.text.len();
        };
        let column = loc.column.saturating_sub(1) as usize;
        self.text[start..].char_indices().nth(column).map(|(i, _)| start + i).unwrap_or(self.text.len())
    }

    /// The line and column (1-based, in characters) of byte offset `offset`.
    pub fn pos(&self, offset: usize) -> crate::error::SourcePos {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let end = offset.min(self.text.len()).max(start);
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count()) + 1;
        crate::error::SourcePos { line: line as u64, column: column as u64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_characters() {
        let text = "ab\nçd\nef";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(Location { line: 1, column: 1 }), 0);
        assert_eq!(index.offset(Location { line: 2, column: 2 }), 5);
        assert_eq!(index.pos(5), crate::error::SourcePos { line: 2, column: 2 });
        assert_eq!(index.pos(0), crate::error::SourcePos { line: 1, column: 1 });
        assert_eq!(index.offset(Location { line: 3, column: 2 }), 8);
        assert_eq!(index.offset(Location { line: 9, column: 1 }), text.len());
    }
}
