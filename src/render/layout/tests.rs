use super::*;

fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn held(rows: &[Vec<String>]) -> Cells {
    let mut cells = Cells::default();
    rows.iter().for_each(|r| cells.push_row(r));
    cells
}

fn fit(rows: &[Vec<String>], width: usize) -> (Option<Vec<usize>>, usize) {
    let cells = held(rows);
    fit_widths(&cells, &cells.measure(cells.cols()).0, width)
}

#[test]
fn widest_column_gives_way_but_never_below_its_longest_word() {
    let t = cells(&[
        &["NAME", "WHY"],
        &["web", "namespace label istio.io/dataplane-mode=ambient"],
    ]);
    // Fits: no wrapping at all.
    assert_eq!(fit(&t, 60), (None, 3));
    // Three columns between them: the long column shrinks to 33.
    assert_eq!(fit(&t, 40), (Some(vec![4, 33]), 3));
    // Never below its longest word (31): two spaces between columns where that fits,
    // else the table overflows.
    assert_eq!(fit(&t, 37), (Some(vec![4, 31]), 2));
    assert_eq!(fit(&t, 20), (Some(vec![4, 31]), 3));
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
    assert_eq!(fit(&t, 30), (Some(vec![4, 23]), 3));
    let s = table(&["NAME", "STATUS"], t[1..].to_vec(), 30);
    assert_eq!(
        s,
        "NAME   STATUS\nw      Accepted: Pending,\n       Programmed: False\n"
    );
    // Two spaces apart, one more column fits without splitting a condition.
    let t = cells(&[&["NAME", "STATUS"], &["wide-name", &cell]]);
    assert_eq!(fit(&t, 29), (Some(vec![9, 18]), 2));
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

/// The table as `tabled`'s blank style drew it before `Cells::draw` (issue 16): every cell
/// wrapped first, then drawn.
fn drawn_by_tabled(header: &[&str], rows: Vec<Vec<String>>, width: usize) -> String {
    use tabled::settings::{Padding, Style};
    let mut cells = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    cells.extend(rows);
    let (widths, gap) = fit_as_before(&cells, width);
    if let Some(widths) = widths {
        for row in &mut cells {
            for (c, w) in row.iter_mut().zip(&widths) {
                *c = wrap_cell(c, *w).into_owned();
            }
        }
    }
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

/// Column widths as they were fitted before `Cells` (issue 16): every cell measured, and its
/// longest words, by `str::lines`, then narrowed. The reference of `Cells::measure` and
/// `fit_widths`.
fn fit_as_before(cells: &[Vec<String>], width: usize) -> (Option<Vec<usize>>, usize) {
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
    narrow(&natural, || min.clone(), width)
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
        (
            word,
            prop::sample::select(vec![" ", "  ", "\u{a0}", "\n", "\r\n"]),
        ),
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
    /// Text wrapped as it is where it fits is wrapped as word by word.
    #[test]
    fn text_that_fits_wraps_as_word_by_word(
        text in proptest::prop_oneof![
            "([a-z]{1,3}| ){0,12}",
            "([a-zé日 \t\n\u{a0}]|\x1b\\[31m){0,30}",
            // Escape sequences cut short or spanning a space, as input text may hold.
            "([a-z ]|\x1b|\x1b\\[3 1m|\x1b\\]8;;a b\x07){0,20}",
        ],
        width in 1usize..40,
    ) {
        proptest::prop_assert_eq!(wrap(&text, width), wrap_words(&text, width));
    }

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

/// Rows built in pieces (on several threads) and appended draw the table of the rows
/// held whole.
#[test]
fn cells_appended_draw_as_held_whole() {
    let rows = cells(&[
        &["NAME", "WHY"],
        &["web", "namespace label istio.io/dataplane-mode=ambient"],
        &[],
        &["", "x", "an extra cell"],
        &["db\nprimary", "pod label"],
    ]);
    let mut pieces = Cells::with_header(&["NAME", "WHY"]);
    for piece in rows[1..].chunks(2) {
        pieces.append(&held(piece));
    }
    assert_eq!(pieces.len(), rows.len());
    for width in [20, 40, 100] {
        let mut drawn = String::new();
        pieces.draw(width, &mut drawn);
        assert_eq!(drawn, table(&["NAME", "WHY"], rows[1..].to_vec(), width));
        assert_eq!(
            drawn,
            drawn_by_tabled(&["NAME", "WHY"], rows[1..].to_vec(), width)
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
