//! Layout, for every text output: the width (the terminal's, after `COLUMNS`; 100 columns
//! otherwise), word wrap for prose, tables that fit the width without ever splitting a word
//! (`draw`), and plain aligned columns. Widths are visible widths: ANSI colour sequences
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
    lines.into_iter().map(|l| l.replace(GLUE, " ")).collect()
}

/// A table with a header row, its columns narrowed to fit `width` (`fit_widths`) and its
/// cells wrapped to them, between words (words joined by `GLUE` stay on one line); two spaces
/// after each column (three when it fits), no trailing spaces.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    let (cells, gap) = fitted(header, rows, width);
    draw(&cells, gap)
}

/// The header and rows, their cells wrapped to the widths that fit `width`, and the gap
/// between columns.
fn fitted(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> (Vec<Vec<String>>, usize) {
    let mut cells = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    cells.extend(rows);
    let (widths, gap) = fit_widths(&cells, width);
    if let Some(widths) = widths {
        for row in &mut cells {
            for (c, w) in row.iter_mut().zip(&widths) {
                *c = wrap_cell(c, *w);
            }
        }
    }
    (cells, gap)
}

/// Draws cells already wrapped: each column as wide as its widest line, `gap` spaces after
/// it, a row as tall as its tallest cell, cells at the top left; `GLUE` printed as a space,
/// no trailing spaces. It is what `tabled`'s blank style drew here before (a property test
/// holds the two byte-identical), at a fraction of the time and memory for tens of thousands
/// of rows (issue 16): `tabled` keeps every cell's lines and widths twice over.
fn draw(cells: &[Vec<String>], gap: usize) -> String {
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            for line in c.split('\n') {
                *w = (*w).max(visible_len(line));
            }
        }
    }
    let mut out = String::new();
    let mut line = String::new();
    let mut parts: Vec<std::str::Split<'_, char>> = Vec::with_capacity(cols);
    for row in cells {
        parts.clear();
        parts.extend(row.iter().map(|c| c.split('\n')));
        let height = row
            .iter()
            .map(|c| c.matches('\n').count() + 1)
            .max()
            .unwrap_or(1);
        for _ in 0..height {
            line.clear();
            for (i, w) in widths.iter().enumerate() {
                let text = parts.get_mut(i).and_then(Iterator::next).unwrap_or("");
                line.push_str(text);
                if i + 1 < cols {
                    let pad = w - visible_len(text) + gap;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            for (i, piece) in line.trim_end().split(GLUE).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(piece);
            }
            out.push('\n');
        }
    }
    out
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
fn fit_widths(cells: &[Vec<String>], width: usize) -> (Option<Vec<usize>>, usize) {
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let (mut natural, mut min) = (vec![0; cols], vec![0; cols]);
    for row in cells {
        for (i, c) in row.iter().enumerate() {
            for line in c.lines() {
                natural[i] = natural[i].max(visible_len(line));
                for w in words(line) {
                    min[i] = min[i].max(visible_len(w));
                }
            }
        }
    }
    let mut narrowed = None;
    for gap in [GAP, TIGHT_GAP] {
        let avail = width.saturating_sub(gap * cols.saturating_sub(1));
        if natural.iter().sum::<usize>() <= avail {
            return (narrowed.filter(|_| gap == GAP), gap);
        }
        // Narrow the widest column first, one column at a time, never below its longest
        // word.
        let mut widths = natural.clone();
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
fn wrap_cell(cell: &str, width: usize) -> String {
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
        return cell.to_string();
    }
    wrap(inner, width)
        .iter()
        .map(|l| format!("{prefix}{l}{suffix}"))
        .collect::<Vec<_>>()
        .join("\n")
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
mod tests {
    use super::*;

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn widest_column_gives_way_but_never_below_its_longest_word() {
        let t = cells(&[
            &["NAME", "WHY"],
            &["web", "namespace label istio.io/dataplane-mode=ambient"],
        ]);
        // Fits: no wrapping at all.
        assert_eq!(fit_widths(&t, 60), (None, 3));
        // Three columns between them: the long column shrinks to 33.
        assert_eq!(fit_widths(&t, 40), (Some(vec![4, 33]), 3));
        // Never below its longest word (31): two spaces between columns where that fits,
        // else the table overflows.
        assert_eq!(fit_widths(&t, 37), (Some(vec![4, 31]), 2));
        assert_eq!(fit_widths(&t, 20), (Some(vec![4, 31]), 3));
        let s = table(&["NAME", "WHY"], t[1..].to_vec(), 40);
        assert!(s.lines().all(|l| visible_len(l) <= 40), "{s}");
        assert!(s.contains("istio.io/dataplane-mode=ambient"), "{s}");
    }

    #[test]
    fn glued_words_wrap_as_one() {
        let g = |s: &str| s.replace(' ', &GLUE.to_string());
        let cell = format!("{}, {}", g("Accepted: Pending"), g("Programmed: False"));
        assert_eq!(wrap(&cell, 20), ["Accepted: Pending,", "Programmed: False"]);
        // Too narrow for one condition: it overflows rather than splits.
        assert_eq!(wrap(&cell, 5), ["Accepted: Pending,", "Programmed: False"]);
        let t = cells(&[&["NAME", "STATUS"], &["w", &cell]]);
        assert_eq!(fit_widths(&t, 30), (Some(vec![4, 23]), 3));
        let s = table(&["NAME", "STATUS"], t[1..].to_vec(), 30);
        assert_eq!(
            s,
            "NAME   STATUS\nw      Accepted: Pending,\n       Programmed: False\n"
        );
        // Two spaces apart, one more column fits without splitting a condition.
        let t = cells(&[&["NAME", "STATUS"], &["wide-name", &cell]]);
        assert_eq!(fit_widths(&t, 29), (Some(vec![9, 18]), 2));
        assert!(!s.contains(GLUE));
    }

    #[test]
    fn wrapped_colour_is_closed_on_every_line() {
        let red = "\x1b[31mWaypointIsNotReady (default/details-waypoint)\x1b[39m";
        assert_eq!(visible_len(red), 45);
        assert_eq!(
            wrap_cell(red, 30),
            "\x1b[31mWaypointIsNotReady\x1b[39m\n\x1b[31m(default/details-waypoint)\x1b[39m"
        );
        assert_eq!(wrap_cell("short", 30), "short");
    }

    /// The table as `tabled`'s blank style drew it before `draw` (issue 16).
    fn drawn_by_tabled(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
        use tabled::settings::{Padding, Style};
        let (cells, gap) = fitted(header, rows, width);
        let mut b = tabled::builder::Builder::default();
        for r in cells {
            b.push_record(r);
        }
        let mut t = b.build();
        t.with(Style::blank()).with(Padding::new(0, gap - 1, 0, 0));
        let s = t.to_string().replace(GLUE, " ");
        let mut s = s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
        s.push('\n');
        s
    }

    /// A cell: words of letters and punctuation, some glued, some on lines of their own,
    /// some empty, some painted as `Paint` paints (a whole cell of one line, one colour:
    /// a painted cell has lines only where `wrap_cell` closed the colour on each).
    fn cell() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Words as input can carry them too: wide CJK characters, combining marks, a
        // zero-width space, an escape sequence other than a colour.
        let word = prop_oneof![
            4 => "[a-z/.:=-]{1,12}",
            1 => prop::sample::select(vec!["日本語", "cafe\u{301}", "a\u{200b}b", "ü", "\x1b[2Kx"])
                .prop_map(String::from),
        ];
        let text = prop::collection::vec(
            (word, prop::sample::select(vec![" ", "  ", "\u{a0}", "\n"])),
            0..6,
        )
        .prop_map(|ws| {
            ws.into_iter()
                .map(|(w, sep)| format!("{w}{sep}"))
                .collect::<String>()
        });
        (text, 0usize..8).prop_map(|(t, colour)| {
            let p = crate::render::style::Paint::new(true);
            match colour {
                _ if t.is_empty() || t.contains('\n') => t,
                0 => p.bad(&t),
                1 => p.warn(&t),
                2 => p.good(&t),
                3 => p.info(&t),
                4 => p.dim(&t),
                5 => p.alarm(&t),
                _ => t,
            }
        })
    }

    proptest::proptest! {
        #[test]
        fn drawn_as_tabled_drew_it(
            cols in 1usize..5,
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..5), 0..6),
            width in 20usize..120,
        ) {
            let header: Vec<&str> = ["NAME", "NAMESPACE", "WHY", "EFFECT", "X"][..cols].to_vec();
            let rows: Vec<Vec<String>> = rows.into_iter().map(|mut r| { r.truncate(cols); r }).collect();
            proptest::prop_assert_eq!(
                table(&header, rows.clone(), width),
                drawn_by_tabled(&header, rows, width)
            );
        }
    }

    #[test]
    fn columns_align_on_the_visible_width() {
        let rows = cells(&[&["A", "VERDICT"], &["long name", "allow"]]);
        assert_eq!(columns(&rows), "A          VERDICT\nlong name  allow\n");
        assert_eq!(pad("\x1b[31mab\x1b[39m", 4), "\x1b[31mab\x1b[39m  ");
        assert_eq!(widths(&rows), vec![9, 7]);
        // As a terminal draws them: wide characters, combining marks, any escape sequence.
        assert_eq!(visible_len("日本語"), 6);
        assert_eq!(visible_len("cafe\u{301}"), 4);
        assert_eq!(
            visible_len("\x1b]8;;https://istio.io\x1b\\link\x1b]8;;\x07"),
            4
        );
        assert_eq!(visible_len("\x1b[2Kab\x1b[1;31mc"), 3);
    }
}
