//! A reader for the HOCON that SeaTunnel job configs use (blocks, `key = value`, lists,
//! quoted and unquoted strings, comments), keeping repeated keys in order — SeaTunnel
//! reads two `console { }` blocks of `sink` as two plugins. Enough to parse the upstream
//! configs in `tests/fixtures/seatunnel/` and what Sluice renders, and compare their shape.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn entries(&self) -> &[(String, Value)] {
        match self {
            Value::Object(e) => e,
            _ => &[],
        }
    }

    /// The first value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries().iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

struct Reader<'a> {
    chars: Vec<char>,
    at: usize,
    _text: &'a str,
}

pub fn parse(text: &str) -> Result<Value, String> {
    let mut r = Reader { chars: text.chars().collect(), at: 0, _text: text };
    let entries = r.entries(None)?;
    r.skip_space(true);
    if r.at < r.chars.len() {
        return Err(r.error("trailing text"));
    }
    Ok(Value::Object(entries))
}

impl Reader<'_> {
    fn error(&self, what: &str) -> String {
        let line = self.chars[..self.at.min(self.chars.len())].iter().filter(|c| **c == '\n').count() + 1;
        format!("{what} at line {line}")
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Skips blanks and comments; newlines too when `newlines`.
    fn skip_space(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            if c == '#' || (c == '/' && self.chars.get(self.at + 1) == Some(&'/')) {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
            } else if c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n') {
                self.at += 1;
            } else {
                break;
            }
        }
    }

    fn entries(&mut self, close: Option<char>) -> Result<Vec<(String, Value)>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_space(true);
            while self.peek() == Some(',') {
                self.at += 1;
                self.skip_space(true);
            }
            match (self.peek(), close) {
                (None, None) => return Ok(out),
                (None, Some(_)) => return Err(self.error("unclosed block")),
                (Some(c), Some(close)) if c == close => {
                    self.at += 1;
                    return Ok(out);
                }
                _ => {}
            }
            let key = self.key()?;
            self.skip_space(false);
            let value = match self.peek() {
                Some('{') => {
                    self.at += 1;
                    Value::Object(self.entries(Some('}'))?)
                }
                Some('=') | Some(':') => {
                    self.at += 1;
                    self.skip_space(false);
                    self.value()?
                }
                _ => return Err(self.error(&format!("expected = after {key}"))),
            };
            out.push((key, value));
        }
    }

    fn key(&mut self) -> Result<String, String> {
        if self.peek() == Some('"') {
            return self.quoted();
        }
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.error("expected a key"));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    fn quoted(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unclosed string")),
                Some('"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.at += 1;
                    let c = self.peek().ok_or_else(|| self.error("bad escape"))?;
                    self.at += 1;
                    out.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'u' => {
                            let hex: String = self.chars[self.at..self.at + 4].iter().collect();
                            self.at += 4;
                            char::from_u32(u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?)
                                .ok_or_else(|| self.error("bad \\u"))?
                        }
                        other => other,
                    });
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some('"') => Ok(Value::Text(self.quoted()?)),
            Some('{') => {
                self.at += 1;
                Ok(Value::Object(self.entries(Some('}'))?))
            }
            Some('[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space(true);
                    match self.peek() {
                        Some(']') => {
                            self.at += 1;
                            return Ok(Value::List(items));
                        }
                        Some(',') => self.at += 1,
                        None => return Err(self.error("unclosed list")),
                        _ => items.push(self.value()?),
                    }
                }
            }
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|c| !matches!(c, '\n' | ',' | '}' | ']' | '#')) {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                Ok(Value::Text(text.trim().to_owned()))
            }
        }
    }
}
