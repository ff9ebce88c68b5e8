//! The lexer: a cursor over one line of a script that hands the parser
//! words, numbers and punctuation, and knows its column for messages.
//!
//! packetdrill's dialect is line-oriented and its tokens depend on where
//! they stand (`.` is a flag after `<`, a decimal point in a time, part of
//! `...` in an argument list), so the parser asks for the token it expects
//! next instead of reading a token stream.

/// A position in the line where something went wrong, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// 1-based column (in characters).
    pub col: usize,
    /// What was expected or found.
    pub msg: String,
}

/// A cursor over one line.
#[derive(Clone, Debug)]
pub struct Lexer<'a> {
    chars: Vec<(usize, char)>,
    text: &'a str,
    pos: usize,
}

/// A result of the lexer or the parser of one line.
pub type LexResult<T> = Result<T, LexError>;

impl<'a> Lexer<'a> {
    /// A cursor at the start of `line`.
    pub fn new(line: &'a str) -> Lexer<'a> {
        Lexer {
            chars: line.char_indices().collect(),
            text: line,
            pos: 0,
        }
    }

    /// The current 1-based column.
    pub fn col(&self) -> usize {
        self.pos + 1
    }

    /// An error at the current column.
    pub fn error<T>(&self, msg: impl Into<String>) -> LexResult<T> {
        Err(LexError {
            col: self.col(),
            msg: msg.into(),
        })
    }

    /// An error at the current column: expected `what`, found the rest.
    pub fn expected<T>(&self, what: &str) -> LexResult<T> {
        let found = match self.peek() {
            None => "the end of the line".to_string(),
            Some(_) => {
                let rest: String = self.rest().chars().take(20).collect();
                format!("`{rest}`")
            }
        };
        self.error(format!("expected {what}, found {found}"))
    }

    /// The next character, if any.
    pub fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    /// The character after the next one.
    pub fn peek2(&self) -> Option<char> {
        self.chars.get(self.pos + 1).map(|&(_, c)| c)
    }

    /// Moves past one character.
    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// The text from the cursor to the end of the line.
    pub fn rest(&self) -> &'a str {
        match self.chars.get(self.pos) {
            Some(&(i, _)) => &self.text[i..],
            None => "",
        }
    }

    /// Skips spaces and tabs.
    pub fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r')) {
            self.pos += 1;
        }
    }

    /// Whether only blanks (or a `//` comment) are left.
    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.peek().is_none() || self.rest().starts_with("//")
    }

    /// Fails unless only blanks or a comment are left.
    pub fn end(&mut self) -> LexResult<()> {
        if self.at_end() {
            Ok(())
        } else {
            self.expected("the end of the line")
        }
    }

    /// Whether the rest (after blanks) starts with `s`.
    pub fn looking_at(&mut self, s: &str) -> bool {
        self.skip_ws();
        self.rest().starts_with(s)
    }

    /// Consumes `s` (after blanks) if it is next.
    pub fn eat(&mut self, s: &str) -> bool {
        if self.looking_at(s) {
            self.pos += s.chars().count();
            true
        } else {
            false
        }
    }

    /// Consumes `s` (after blanks) or fails.
    pub fn expect(&mut self, s: &str) -> LexResult<()> {
        if self.eat(s) {
            Ok(())
        } else {
            self.expected(&format!("`{s}`"))
        }
    }

    /// A word (after blanks): letters, digits and `_`, starting with a
    /// letter or `_`.
    pub fn word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let start = self.pos;
        if !matches!(self.peek(), Some(c) if c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        Some(self.slice(start))
    }

    /// A word, or an error naming `what`.
    pub fn expect_word(&mut self, what: &str) -> LexResult<&'a str> {
        match self.word() {
            Some(w) => Ok(w),
            None => self.expected(what),
        }
    }

    /// The text between `start` (a char index) and the cursor.
    fn slice(&self, start: usize) -> &'a str {
        let from = self.chars.get(start).map_or(self.text.len(), |&(i, _)| i);
        let to = self
            .chars
            .get(self.pos)
            .map_or(self.text.len(), |&(i, _)| i);
        &self.text[from..to]
    }

    /// An unsigned decimal or `0x` hexadecimal integer (after blanks).
    pub fn uint(&mut self, what: &str) -> LexResult<u64> {
        self.skip_ws();
        let col = self.col();
        let hex = self.rest().starts_with("0x") || self.rest().starts_with("0X");
        if hex {
            self.pos += 2;
        }
        let start = self.pos;
        let radix = if hex { 16 } else { 10 };
        while matches!(self.peek(), Some(c) if c.is_digit(radix)) {
            self.pos += 1;
        }
        let digits = self.slice(start);
        if digits.is_empty() {
            self.pos = col - 1;
            return self.expected(what);
        }
        match u64::from_str_radix(digits, radix) {
            Ok(v) => Ok(v),
            Err(_) => Err(LexError {
                col,
                msg: format!("{what} `{digits}` is too large"),
            }),
        }
    }

    /// An integer that must fit in `u32`.
    pub fn u32(&mut self, what: &str) -> LexResult<u32> {
        self.skip_ws();
        let col = self.col();
        let v = self.uint(what)?;
        u32::try_from(v).map_err(|_| LexError {
            col,
            msg: format!("{what} {v} does not fit in 32 bits"),
        })
    }

    /// Seconds with an optional fraction (`0`, `0.100`, `.1`, `1.`), as
    /// microseconds. More than six decimals are an error: the clock counts
    /// microseconds.
    pub fn seconds(&mut self) -> LexResult<u64> {
        self.skip_ws();
        let col = self.col();
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        let whole = self.slice(start);
        let mut frac = "";
        // A `.` starts a fraction unless it starts `...` (a blocking call).
        if self.peek() == Some('.') && !self.rest().starts_with("...") {
            self.pos += 1;
            let f = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                self.pos += 1;
            }
            frac = self.slice(f);
        }
        if whole.is_empty() && frac.is_empty() {
            self.pos = start;
            return self.expected("a time in seconds");
        }
        if frac.len() > 6 {
            return Err(LexError {
                col,
                msg: "a time has at most six decimals (microseconds)".into(),
            });
        }
        let too_large = || LexError {
            col,
            msg: "the time is too large".into(),
        };
        let secs: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_large())?
        };
        let mut micros: u64 = 0;
        for (i, d) in frac.chars().enumerate() {
            micros += u64::from(d.to_digit(10).unwrap_or(0)) * 10u64.pow(5 - i as u32);
        }
        secs.checked_mul(1_000_000)
            .and_then(|s| s.checked_add(micros))
            .ok_or_else(too_large)
    }

    /// Everything up to (not including) the character `close`, which is
    /// consumed; for `(Operation now in progress)` and backtick commands.
    pub fn until(&mut self, close: char, what: &str) -> LexResult<&'a str> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == close {
                let s = self.slice(start);
                self.pos += 1;
                return Ok(s);
            }
            self.pos += 1;
        }
        self.pos = start;
        self.error(format!("{what} is not closed with `{close}`"))
    }
}
