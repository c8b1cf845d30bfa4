//! Layout, for every text output: the width (the terminal's, after `COLUMNS`; 100 columns
//! otherwise), word wrap for prose, tables that fit the width without ever splitting a word
//! (`Cells::draw`), and plain aligned columns. Widths are visible widths: ANSI colour sequences
//! take no room.

/// The width when the output is not a terminal and `COLUMNS` is not set.
pub const WIDTH: usize = 100;
/// Narrower terminals still get this much (lines then overflow rather than break words).
pub const MIN_WIDTH: usize = 40;

/// `COLUMNS` when set to a number, else the terminal's width when stdout is a terminal, else
/// 100.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(terminal_size::Width(w), _)| usize::from(w))
        })
        .unwrap_or(WIDTH)
}

/// Visible width: the columns a terminal gives the text (`unicode-width`: two for a wide
/// CJK character, none for a combining mark), with ANSI escape sequences (colours, and any
/// other CSI or OSC sequence) taking no room.
pub fn visible_len(s: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    // Most cells: printable ASCII, a column a byte.
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return s.len();
    }
    let mut n = 0;
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        n += rest[..i].width();
        rest = skip_escape(&rest[i + 1..]);
    }
    n + rest.width()
}

/// What follows the escape sequence that `after` (the text after an ESC) opens.
fn skip_escape(after: &str) -> &str {
    let mut chars = after.char_indices();
    match chars.next() {
        // CSI: parameters and intermediates, then a final byte in `@`..=`~`.
        Some((_, '[')) => match chars.find(|(_, c)| ('@'..='~').contains(c)) {
            Some((i, c)) => &after[i + c.len_utf8()..],
            None => "",
        },
        // OSC (a hyperlink, a title): up to BEL or ST (`ESC \`).
        Some((_, ']')) => {
            let end = after.find(['\x07', '\x1b']).unwrap_or(after.len());
            let tail = &after[end..];
            tail.strip_prefix('\x07')
                .or_else(|| tail.strip_prefix("\x1b\\"))
                .unwrap_or(tail)
        }
        // Any other: ESC and one character.
        Some((_, c)) => &after[c.len_utf8()..],
        None => "",
    }
}

/// A space that never breaks: words joined with it wrap as one (a status condition,
/// `Accepted: Pending`, stays on one line); it is printed as a plain space.
pub const GLUE: char = '\u{a0}';

/// The words of `text`: wrapping breaks at ASCII white space only (not at `GLUE`).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
}

/// Greedy word wrap for prose.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    // Most text (a path's hops, a short note): one line as it is, when its words and the
    // spaces between them fit. As a whole it may measure less: an escape sequence from the
    // input can swallow a space (`"a\x1b b"`).
    if one_line(text) {
        let len = if text.contains('\x1b') {
            text.split(' ').map(visible_len).sum::<usize>() + text.matches(' ').count()
        } else {
            visible_len(text)
        };
        if len <= width {
            return vec![text.to_string()];
        }
    }
    wrap_words(text, width)
}

/// `wrap`, word by word.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0;
    for w in words(text) {
        let len = visible_len(w);
        if !cur.is_empty() && cur_len + 1 + len > width {
            lines.push(std::mem::take(&mut cur));
            cur_len = 0;
        }
        if !cur.is_empty() {
            cur.push(' ');
            cur_len += 1;
        }
        cur.push_str(w);
        cur_len += len;
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    for l in &mut lines {
        if l.contains(GLUE) {
            *l = l.replace(GLUE, " ");
        }
    }
    lines
}

/// Whether `text` is words one space apart, none glued: wrapped to a width it fits, it is
/// itself.
fn one_line(text: &str) -> bool {
    let b = text.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    // `GLUE` ends in 0xA0 (as some other characters do: they take the long way).
    let odd = |c: u8| c.is_ascii_whitespace() && c != b' ' || c == 0xA0;
    first != b' ' && last != b' ' && !b.iter().any(|&c| odd(c)) && !b.windows(2).any(|w| w == b"  ")
}

/// A table with a header row, its columns narrowed to fit `width` (`fit_widths`) and its
/// cells wrapped to them, between words (words joined by `GLUE` stay on one line); two spaces
/// after each column (three when it fits), no trailing spaces.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    let mut cells = Cells::with_header(header);
    for row in rows {
        cells.push_row(row);
    }
    let mut out = String::new();
    cells.draw(width, &mut out);
    out
}

/// A table's cells held compactly: the text of every cell in one buffer, with where each
/// cell and each row ends. A table of tens of thousands of rows (a big mesh's WORKLOADS) is
/// then a few allocations, not one per cell (issue 16).
#[derive(Debug, Default, Clone)]
pub struct Cells {
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    /// Where each row's cells end in `ends`.
    rows: Vec<usize>,
}

impl Cells {
    /// Cells whose first row is `header`.
    pub fn with_header(header: &[&str]) -> Cells {
        let mut cells = Cells::default();
        cells.push_row(header);
        cells
    }

    pub fn push_row<S: AsRef<str>>(&mut self, row: impl IntoIterator<Item = S>) {
        for cell in row {
            self.text.push_str(cell.as_ref());
            self.ends.push(self.text.len());
        }
        self.rows.push(self.ends.len());
    }

    /// `other`'s rows after these.
    pub fn append(&mut self, other: &Cells) {
        let (text, cells) = (self.text.len(), self.ends.len());
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|e| e + text));
        self.rows.extend(other.rows.iter().map(|r| r + cells));
    }

    /// The number of rows (the header's among them).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, each its cells' text.
    fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = &str> + Clone> {
        (0..self.rows.len()).map(move |r| {
            (self.first_cell(r)..self.rows[r]).map(move |c| {
                let start = if c == 0 { 0 } else { self.ends[c - 1] };
                &self.text[start..self.ends[c]]
            })
        })
    }

    fn first_cell(&self, r: usize) -> usize {
        if r == 0 {
            0
        } else {
            self.rows[r - 1]
        }
    }

    /// The text of row `r`'s cells, one after the other.
    fn row_text(&self, r: usize) -> &str {
        let end = |c: usize| if c == 0 { 0 } else { self.ends[c - 1] };
        &self.text[end(self.first_cell(r))..end(self.rows[r])]
    }

    fn cols(&self) -> usize {
        self.rows().map(Iterator::count).max().unwrap_or(0)
    }

    /// The visible width of each column's widest line: as `fit_widths` measures it
    /// (`str::lines`), and as the column is drawn when nothing wraps (every line between
    /// newlines).
    fn measure(&self, cols: usize) -> (Vec<usize>, Vec<usize>) {
        let (mut natural, mut drawn) = (vec![0; cols], vec![0; cols]);
        for row in self.rows() {
            for (i, c) in row.enumerate() {
                // Most cells: one line, the same either way.
                if !c.contains(['\n', '\r']) {
                    let len = visible_len(c);
                    natural[i] = natural[i].max(len);
                    drawn[i] = drawn[i].max(len);
                    continue;
                }
                for line in c.lines() {
                    natural[i] = natural[i].max(visible_len(line));
                }
                for line in c.split('\n') {
                    drawn[i] = drawn[i].max(visible_len(line));
                }
            }
        }
        (natural, drawn)
    }

    /// Appends the table to `out`: its columns narrowed to fit `width` (`fit_widths`), each
    /// as wide as its widest line, `gap` spaces after it, a row as tall as its tallest cell,
    /// cells at the top left; `GLUE` printed as a space, no trailing spaces. It is what
    /// `tabled`'s blank style drew here before (a property test holds the two
    /// byte-identical), at a fraction of the time and memory for tens of thousands of rows
    /// (issue 16): `tabled` keeps every cell's lines and widths twice over.
    pub fn draw(&self, width: usize, out: &mut String) {
        let cols = self.cols();
        let (natural, mut widths) = self.measure(cols);
        let (fit, gap) = fit_widths(self, &natural, width);
        // A cell wrapped to its column's fitted width: wrapped as it is measured, and again
        // as it is drawn, rather than held wrapped.
        let wrapped = |i: usize, c| match fit.as_ref().and_then(|f| f.get(i)) {
            Some(&w) => wrap_cell(c, w),
            None => c.into(),
        };
        if fit.is_some() {
            widths.fill(0);
            for row in self.rows() {
                for ((w, c), i) in widths.iter_mut().zip(row).zip(0..) {
                    for line in wrapped(i, c).split('\n') {
                        *w = (*w).max(visible_len(line));
                    }
                }
            }
        }
        let mut line = String::new();
        let mut row_cells = Vec::with_capacity(cols);
        for (r, row) in self.rows().enumerate() {
            // Most rows: nothing wrapped, one line.
            if fit.is_none() && !self.row_text(r).contains('\n') {
                line.clear();
                let mut cells = row;
                for (i, w) in widths.iter().enumerate() {
                    let text = cells.next().unwrap_or("");
                    cell_into(&mut line, text, (i + 1 < cols).then(|| w + gap));
                }
                push_line(out, &line);
                continue;
            }
            row_cells.clear();
            row_cells.extend(row.enumerate().map(|(i, c)| wrapped(i, c)));
            let mut parts: Vec<_> = row_cells.iter().map(|c| c.split('\n')).collect();
            let height = (row_cells.iter())
                .map(|c| c.matches('\n').count() + 1)
                .max()
                .unwrap_or(1);
            for _ in 0..height {
                line.clear();
                for (i, w) in widths.iter().enumerate() {
                    let text = parts.get_mut(i).and_then(Iterator::next).unwrap_or("");
                    cell_into(&mut line, text, (i + 1 < cols).then(|| w + gap));
                }
                push_line(out, &line);
            }
        }
    }
}

/// Appends `text` to `line`, then spaces up to `to` visible columns (none after the last
/// column).
fn cell_into(line: &mut String, text: &str, to: Option<usize>) {
    line.push_str(text);
    if let Some(to) = to {
        line.extend(std::iter::repeat_n(' ', to - visible_len(text)));
    }
}

/// Appends `line` to `out` as drawn: without trailing spaces, `GLUE` as a space.
fn push_line(out: &mut String, line: &str) {
    let line = line.trim_end();
    if line.contains(GLUE) {
        out.push_str(&line.replace(GLUE, " "));
    } else {
        out.push_str(line);
    }
    out.push('\n');
}

/// Spaces between columns.
const GAP: usize = 3;
/// Spaces between the columns of a table that fits no other way.
const TIGHT_GAP: usize = 2;

/// Column widths that fit `width` where possible, and the gap between columns: the widest
/// columns give way first, but none below its longest word, so that wrapping never splits a
/// word or a flag name; a table that fits only with two spaces between its columns gets
/// them, one that fits not even so overflows. Widths are `None` when the table fits as it
/// is.
fn fit_widths(cells: &Cells, natural: &[usize], width: usize) -> (Option<Vec<usize>>, usize) {
    let cols = natural.len();
    // Each column's longest word: asked only of a table too wide as it is.
    let longest_words = || {
        let mut min = vec![0; cols];
        for row in cells.rows() {
            for (i, c) in row.enumerate() {
                for w in c.lines().flat_map(words) {
                    min[i] = min[i].max(visible_len(w));
                }
            }
        }
        min
    };
    narrow(natural, longest_words, width)
}

/// `fit_widths` of columns `natural` wide whose longest words are `longest_words()`.
fn narrow(
    natural: &[usize],
    longest_words: impl Fn() -> Vec<usize>,
    width: usize,
) -> (Option<Vec<usize>>, usize) {
    let cols = natural.len();
    let (mut min, mut narrowed) = (None, None);
    for gap in [GAP, TIGHT_GAP] {
        let avail = width.saturating_sub(gap * cols.saturating_sub(1));
        if natural.iter().sum::<usize>() <= avail {
            return (narrowed.filter(|_| gap == GAP), gap);
        }
        // Narrow the widest column first, one column at a time, never below its longest
        // word.
        let min: &Vec<usize> = min.get_or_insert_with(&longest_words);
        let mut widths = natural.to_vec();
        let mut excess = widths.iter().sum::<usize>() - avail;
        while excess > 0 {
            let Some(i) = (0..cols)
                .filter(|i| widths[*i] > min[*i])
                .max_by_key(|i| (widths[*i], std::cmp::Reverse(*i)))
            else {
                break;
            };
            widths[i] -= 1;
            excess -= 1;
        }
        if excess == 0 {
            return (Some(widths), gap);
        }
        narrowed.get_or_insert(widths);
    }
    // Overflowing either way: as far apart as any other table.
    (narrowed, GAP)
}

/// Word-wraps one cell to `width` visible columns. A cell is painted as a whole, so its colour
/// codes are put around each line (a colour left open across lines would tint the next
/// columns).
fn wrap_cell(cell: &str, width: usize) -> std::borrow::Cow<'_, str> {
    let mut prefix = String::new();
    let mut inner = cell;
    while let Some(rest) = inner.strip_prefix("\x1b[") {
        let Some(end) = rest.find('m') else { break };
        prefix.push_str(&inner[..end + 3]);
        inner = &rest[end + 1..];
    }
    // The closing reset: `ESC[0m`, or `ESC[39m` after a foreground colour.
    let (inner, suffix) = match inner.rfind("\x1b[") {
        Some(i)
            if !prefix.is_empty()
                && inner[i + 2..]
                    .strip_suffix('m')
                    .is_some_and(|c| c.chars().all(|c| c.is_ascii_digit() || c == ';')) =>
        {
            inner.split_at(i)
        }
        _ => (inner, ""),
    };
    if visible_len(inner) <= width {
        return cell.into();
    }
    (wrap(inner, width).iter())
        .map(|l| format!("{prefix}{l}{suffix}"))
        .collect::<Vec<_>>()
        .join("\n")
        .into()
}

/// The visible width of each column: its widest cell.
pub fn widths(rows: &[Vec<String>]) -> Vec<usize> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| visible_len(s))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// `s` followed by spaces up to `w` visible columns.
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(visible_len(s))))
}

/// Aligned columns, two spaces apart, trailing spaces trimmed: for output whose columns are
/// short and must not wrap (the reachability matrix).
pub fn columns(rows: &[Vec<String>]) -> String {
    use std::fmt::Write;
    let widths = widths(rows);
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| pad(s, widths[c]))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests;
